"""Runs one trial: claim it, start its job, supervise it (heartbeats, reports, limits), record the end.

The job runs in a child process (`workers.jobproc`); this supervisor is the only code that writes to
the database for it, and every write is fenced by the attempt id (one claim, fenced writes: see
docs/reliability.md).
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from studies import services
from studies.models import Attempt, Study
from studies.services import Outcome, WorkerIdentity
from workers import launch, reaper, shutdown, status
from workers.jobproc import JobProcess

log = logging.getLogger(__name__)


class Superseded(Exception):
    """The attempt lost its right to write (reaped, cancelled): stop the job and move on."""


class RunOutcome(StrEnum):
    """How one `run_trial` call ended for this worker; the trial's own fate is in its rows."""

    HANDED_BACK = "handed back: shutting down"
    NOT_CLAIMED = "not claimed"
    SUPERSEDED = "superseded"
    FINISHED = "finished"


def run_trial(trial_id: int, worker: WorkerIdentity, chain_s: float = 0.0) -> RunOutcome:
    """Run the trial and schedule the study's next; for up to `chain_s` seconds, run that one too.

    Chaining saves short trials a broker round trip each, and a trial's end, the next trial's creation
    and its claim share one transaction; it is bounded so other studies on the same queue get their
    turn.
    """
    if shutdown.requested_for() is not None:
        # a message taken during a warm shutdown goes back to the queue for a worker that stays
        queue = Study.objects.filter(trials=trial_id).values_list("queue", flat=True).first()
        if queue is not None:
            services.enqueue_run([trial_id], queue)
        return RunOutcome.HANDED_BACK
    chain_until = time.monotonic() + chain_s
    attempt = services.claim_trial(trial_id, worker)
    if attempt is None:
        return RunOutcome.NOT_CLAIMED
    while True:
        outcome = _run_attempt(attempt)
        if outcome is None:
            status.released(worker.name, attempt.trial_id)
            return RunOutcome.SUPERSEDED
        chain = time.monotonic() < chain_until and shutdown.requested_for() is None
        attempt = _finish(attempt.pk, outcome, worker if chain else None)
        if attempt is None:
            return RunOutcome.FINISHED


def _run_attempt(attempt: Attempt) -> Outcome | None:
    """Start the claimed attempt's job and follow it to its end; None when the attempt was superseded."""
    trial, study = attempt.trial, attempt.trial.study
    try:
        proc, time_limit_s = launch.start_job(study, trial)
    except (ValueError, OSError) as error:
        return Outcome(Attempt.State.FAILED, reason=f"the job could not start: {error}")
    try:
        outcome = supervise(proc, attempt.pk, time_limit_s)
    except Superseded:
        proc.kill()
        launch.keep_output(attempt.pk, proc)
        return None
    proc.close()
    launch.keep_output(attempt.pk, proc)
    return outcome


def supervise(proc: JobProcess, attempt_id: int, time_limit_s: float | None) -> Outcome:
    """Follow the job until it ends; heartbeat, store its reports, enforce limits and shutdown."""
    beat_every = settings.HPOWEB["HEARTBEAT_S"]
    reap_every = settings.HPOWEB["REAPER_PERIOD_S"]
    started = time.monotonic()
    next_beat, next_reap = started + beat_every, started + reap_every
    result: dict = {}
    pruned_reason = ""
    while proc.status is None:
        now = time.monotonic()
        if time_limit_s and now - started > time_limit_s:
            proc.kill()
            return Outcome(Attempt.State.FAILED, reason=f"timeout: killed after {time_limit_s:g} s")
        if (shutdown.requested_for() or 0.0) > settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT * 0.8:
            proc.kill()
            return Outcome(Attempt.State.INTERRUPTED, reason="interrupted: the worker is shutting down")
        for message in proc.messages(min(next_beat - now, 0.5)):
            if "step" in message:
                stored, prune, reason = _report(attempt_id, message)
                if stored:  # storing it refreshed the heartbeat
                    next_beat = time.monotonic() + beat_every
                pruned_reason = pruned_reason or (reason if prune else "")
                proc.answer(prune)
                if prune and not proc.takes_answers:
                    proc.kill()
            elif message.keys() & {"value", "values", "error", "stopped"}:
                result = message
        if proc.status is None and time.monotonic() >= next_beat:
            _heartbeat(attempt_id)
            launch.keep_output(attempt_id, proc, live=True)
            next_beat = time.monotonic() + beat_every
        if time.monotonic() >= next_reap:
            reaper.reap_if_our_turn()  # the solo pool cannot take the beat's reap message meanwhile
            next_reap = time.monotonic() + reap_every
    return _outcome(proc, result, pruned_reason)


def _report(attempt_id: int, message: dict) -> tuple[bool, bool, str]:
    """(stored, prune, reason) for one report of the job."""
    try:
        step, value = int(message["step"]), float(message["value"])
        if not services.record_metric(attempt_id, step, value):
            raise Superseded
        return True, *services.prune_decision(attempt_id)
    except (TypeError, ValueError) as bad:
        log.warning("attempt %s: ignoring a bad report %r: %s", attempt_id, message, bad)
        return False, False, ""
    except DatabaseError:
        log.warning(
            "attempt %s: database unavailable, report of step %s not stored", attempt_id, message.get("step")
        )
        close_old_connections()
        reaper.database_unavailable()
        return False, False, ""


def _heartbeat(attempt_id: int) -> None:
    try:
        alive = services.heartbeat(attempt_id)
    except DatabaseError:
        log.warning("attempt %s: database unavailable for the heartbeat; the job goes on", attempt_id)
        close_old_connections()
        reaper.database_unavailable()
        return
    if not alive:
        raise Superseded


def _outcome(proc: JobProcess, result: dict, pruned_reason: str) -> Outcome:
    """A job that delivers its result is complete even if told to stop at its last step."""
    if "error" in result:
        return Outcome(Attempt.State.FAILED, reason=result["error"])
    if pruned_reason and "value" not in result and "values" not in result:
        return Outcome(Attempt.State.PRUNED, reason=pruned_reason)
    if "values" in result:  # checked against the study's objectives when stored
        return Outcome(Attempt.State.COMPLETE, values=result["values"])
    if "value" in result:
        try:
            return Outcome(Attempt.State.COMPLETE, value=float(result["value"]))
        except (TypeError, ValueError):
            return Outcome(Attempt.State.FAILED, reason=f"the job returned {result['value']!r}, not a number")
    if "stopped" in result:
        return Outcome(Attempt.State.FAILED, reason="the job stopped without a result")
    return Outcome(Attempt.State.FAILED, reason=proc.describe_exit())


def _finish(
    attempt_id: int, outcome: Outcome, next_for: WorkerIdentity | None, patience_s: float = 300.0
) -> Attempt | None:
    """Record the outcome and fill the freed slot (this worker is idle now, so it schedules instead of
    sending a message for it); with `next_for`, the next trial's attempt comes back already claimed.

    A database outage is waited out rather than losing a finished trial.
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return services.finish_and_continue(attempt_id, outcome, next_for)
        except DatabaseError:
            if time.monotonic() > deadline:
                raise
            log.warning("attempt %s: database unavailable, retrying the result", attempt_id)
            close_old_connections()
            reaper.database_unavailable()
            time.sleep(1.0)
