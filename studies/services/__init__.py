"""Workflows over several rows: a trial's life (`lifecycle`), filling a study's slots (`scheduling`)
and what a person does (`controls`).

Callers use `from studies import services`; the modules are where each workflow is written.
"""

from __future__ import annotations

from studies.services.controls import (
    STUDY_CONTROLS,
    TRIAL_CONTROLS,
    ChoiceError,
    audit,
    cancel_study,
    cancel_trial,
    choose_trial,
    control_study,
    control_trial,
    create_study,
    delete_study,
    pause_study,
    resume_study,
    retry_trial,
    start_study,
)
from studies.services.lifecycle import (
    Outcome,
    WorkerIdentity,
    claim_trial,
    db_clock,
    db_now,
    finish_attempt,
    heartbeat,
    prune_decision,
    reap_stale_attempts,
    reconcile_queued,
    record_metric,
)
from studies.services.publishing import enqueue_analysis, enqueue_run, enqueue_schedule, mark_watched
from studies.services.scheduling import finish_and_continue, optimizer_inputs, schedule_trials

__all__ = [
    "STUDY_CONTROLS",
    "TRIAL_CONTROLS",
    "ChoiceError",
    "Outcome",
    "WorkerIdentity",
    "audit",
    "cancel_study",
    "cancel_trial",
    "choose_trial",
    "claim_trial",
    "control_study",
    "control_trial",
    "create_study",
    "db_clock",
    "db_now",
    "delete_study",
    "enqueue_analysis",
    "enqueue_run",
    "enqueue_schedule",
    "finish_and_continue",
    "finish_attempt",
    "heartbeat",
    "mark_watched",
    "optimizer_inputs",
    "pause_study",
    "prune_decision",
    "reap_stale_attempts",
    "reconcile_queued",
    "record_metric",
    "resume_study",
    "retry_trial",
    "schedule_trials",
    "start_study",
]
