"""Starts the job a study names, of whichever kind, and keeps a command job's output afterwards."""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError

from studies.attempt_logs import save_attempt_log
from studies.job_catalog import check_job_params, resolve_job
from studies.models import Study, Trial
from workers import jobhost
from workers.commandproc import CommandProcess
from workers.jobproc import JobProcess

log = logging.getLogger(__name__)

LIVE_LOG_EVERY_S = 10.0


def start_job(study: Study, trial: Trial) -> tuple[JobProcess, float | None]:
    """The running job and its time limit (the tighter of the command job's and the study's)."""
    job = resolve_job(study.job)
    if job.command is None:
        return jobhost.start_callable(study.job, trial.params, study.job_settings), study.trial_timeout_s
    check_job_params(study.job, trial.params)  # a study defined before staff narrowed the list
    command = job.command
    limits = [limit for limit in (command.time_limit_s, study.trial_timeout_s) if limit]
    proc = CommandProcess.start(command.argv, trial.params, command.workdir, command.env)
    return proc, min(limits) if limits else None


def keep_output(attempt_id: int, proc: JobProcess, live: bool = False) -> None:
    """Store what a command job printed; a lost log must never lose the trial's result.

    While the job runs (`live`) the log is stored at most every LIVE_LOG_EVERY_S and only when it grew,
    so the trial page shows a recent tail without rewriting a large log at every heartbeat.
    """
    output = proc.output
    if output is None:
        return
    now = time.monotonic()
    if live and (output.n_bytes == output.saved_bytes or now - output.saved_at < LIVE_LOG_EVERY_S):
        return
    try:
        save_attempt_log(attempt_id, output.text(), output.n_bytes, output.omitted)
    except DatabaseError:
        log.warning("attempt %s: database unavailable, the job's output was not kept", attempt_id)
        return
    output.saved_bytes, output.saved_at = output.n_bytes, now
