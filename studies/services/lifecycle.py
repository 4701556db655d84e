"""A trial's life: claiming, fenced writes, finishing attempts, reaping and reconciling (scheduling is
in `scheduling`).

Every change of a trial's state is a conditional update whose count of changed rows moves the
study's summary counts in the same transaction (`StudySummary.moved`).

Study and trial rows are locked `FOR NO KEY UPDATE` (`no_key=True`): it excludes other lockers as
`FOR UPDATE` does, but not the foreign-key checks PostgreSQL makes at another transaction's commit.
With `FOR UPDATE`, a claim (which holds the summary row, then checks its trial's study at commit)
and a finish (which holds the study, then waits for the summary row) deadlock.

The database decides; the broker only wakes workers, so every function here is safe
to call twice, and each publishes its messages only after its transaction commits.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Now
from django.utils import timezone

from studies.models import Attempt, Study, StudySummary, Trial, TrialMetric, WorkerStatus
from studies.objectives import ResultError, result_fields
from studies.optimizers.pruners import get_pruner
from studies.services.publishing import enqueue_analysis, enqueue_run, enqueue_schedule


@dataclass(frozen=True)
class WorkerIdentity:
    name: str
    host: str = socket.gethostname()
    pid: int = os.getpid()

    @classmethod
    def current(cls, name: str = "") -> WorkerIdentity:
        host = socket.gethostname()
        return cls(name=name or f"{host}:{os.getpid()}", host=host, pid=os.getpid())


def db_now() -> datetime:
    """The database's clock: heartbeats and the reaper must agree on one clock across machines."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            return cursor.fetchone()[0]
    return timezone.now()


def db_clock():
    """The database's clock as a value to write: on PostgreSQL evaluated by the statement itself
    (no `SELECT now()` round trip of its own), elsewhere the clock `db_now` reads."""
    return Now() if connection.vendor == "postgresql" else timezone.now()


def cancel_trials(study_id: int, trials, reason: str) -> None:
    """Cancel the study's `trials` that are queued or running, and their running attempts (a running
    job stops at its next heartbeat).

    One conditional update per state, so a trial claimed or finished meanwhile is counted as what it
    was when cancelled, or not at all.
    """
    now = db_now()
    ids = list(trials.values_list("pk", flat=True))
    Attempt.objects.filter(trial_id__in=ids, state=Attempt.State.RUNNING).update(
        state=Attempt.State.CANCELLED, ended=now, reason=reason
    )
    for state in Trial.QUEUED_OR_RUNNING:
        n = Trial.objects.filter(pk__in=ids, state=state).update(
            state=Trial.State.CANCELLED, finished=now, error=reason
        )
        StudySummary.moved(study_id, state, Trial.State.CANCELLED, n)


# --- one attempt's life: one conditional claim, then writes fenced by the attempt id ----------------


def claim_trial(trial_id: int, worker: WorkerIdentity) -> Attempt | None:
    """Start an attempt with one conditional update; None when someone else has it or it is not queued."""
    if not Study.objects.filter(trials=trial_id, state=Study.State.RUNNING).exists():
        return None
    with transaction.atomic():
        now = db_now()
        if not claim_update(trial_id, worker, now):
            return None
        trial = Trial.objects.select_related("study").get(pk=trial_id)  # the runner needs both
        return start_attempt(trial, worker, now)


def claim_update(trial_id: int, worker: WorkerIdentity, now: datetime) -> dict | None:
    """The claim itself; the values it wrote when it won, None when the trial was not queued."""
    # Only the row's own columns in the condition: PostgreSQL re-checks those after a concurrent
    # update, which it does not guarantee for a join or a subquery. A trial waiting for a slot
    # (`enqueued` empty) is not claimable.
    running = {"state": Trial.State.RUNNING, "started": now, "worker": worker.name}
    won = Trial.objects.filter(pk=trial_id, state=Trial.State.QUEUED, enqueued__isnull=False).update(
        **running, n_attempts=F("n_attempts") + 1
    )
    return running if won == 1 else None


def start_attempt(trial: Trial, worker: WorkerIdentity, now: datetime) -> Attempt:
    """A won claim's attempt row, the trial's pointer to it and the worker's status (busy)."""
    attempt = Attempt.objects.create(
        trial=trial,
        number=trial.n_attempts,
        worker=worker.name,
        host=worker.host,
        pid=worker.pid,
        claimed=now,
        heartbeat=now,
    )
    Trial.objects.filter(pk=trial.pk).update(attempt=attempt)
    WorkerStatus.objects.filter(name=worker.name).update(current_trial=trial.pk, last_seen=now)
    StudySummary.moved(trial.study_id, Trial.State.QUEUED, Trial.State.RUNNING)
    return attempt


def _fenced_trial(attempt_id: int, *, lock_study: bool = True) -> Trial | None:
    """The trial, locked, if `attempt_id` is still the attempt allowed to write.

    A finish locks the study row too: it decides on the study's state (re-queue a failed attempt only
    while the study runs, which a concurrent stop after failures must not race). Heartbeats and
    reports decide nothing about the study and lock the trial alone: with the study row, every
    worker's heartbeat and report waited its turn behind the study's scheduling step and the other
    workers' writes (64 workers of one study, three such transactions per trial).
    """
    rows = Trial.objects.select_for_update(no_key=True, of=() if lock_study else ("self",))
    return (
        rows.select_related("study")
        .filter(attempt_id=attempt_id, state=Trial.State.RUNNING, attempt__state=Attempt.State.RUNNING)
        .first()
    )


def heartbeat(attempt_id: int) -> bool:
    """Refresh the attempt's heartbeat; False when it was superseded (the worker must stop its job)."""
    with transaction.atomic():
        if _fenced_trial(attempt_id, lock_study=False) is None:
            return False
        Attempt.objects.filter(pk=attempt_id).update(heartbeat=db_clock())
    return True


def record_metric(attempt_id: int, step: int, value: float) -> bool:
    """Store a learning-curve point (idempotent per step); False when the attempt was superseded."""
    if not math.isfinite(value):
        raise ValueError(f"step {step}: value {value!r} is not a finite number")
    with transaction.atomic():
        trial = _fenced_trial(attempt_id, lock_study=False)
        if trial is None:
            return False
        # a step reported again keeps its first value (the unique (attempt, step) constraint)
        point = TrialMetric(attempt_id=attempt_id, step=step, trial_id=trial.pk, value=value)
        TrialMetric.objects.bulk_create([point], ignore_conflicts=True)
        Attempt.objects.filter(pk=attempt_id).update(heartbeat=db_clock())
    return True


def prune_decision(attempt_id: int) -> tuple[bool, str]:
    """Ask the study's pruner about the attempt's curve against the other trials' curves.

    Of the other curves it reads only the points the pruner compares with (`comparison_steps`): one
    per trial at an ASHA rung or at the median rule's step, none between rungs, so a report costs
    O(trials), not O(trials x steps).
    """
    trial = Trial.objects.select_related("study").get(attempt_id=attempt_id)
    study = trial.study
    if study.pruner == "none":
        return False, ""
    pruner = get_pruner(study.pruner, **study.pruner_settings)
    own = list(
        TrialMetric.objects.filter(attempt_id=attempt_id).order_by("step").values_list("step", "value")
    )
    others: dict[int, list[tuple[int, float]]] = {}
    for step in pruner.comparison_steps(trial.number, own):
        for number, first_step, value in _first_points_at_or_after(trial, math.ceil(step)):
            others.setdefault(number, []).append((first_step, value))
    decision = pruner.should_prune(trial.number, own, others, study.direction)
    return decision.prune, decision.reason


def _first_points_at_or_after(trial: Trial, step: int):
    """(number, step, value) of every other trial of the study whose counted attempt reported at or
    after `step`: its first such point, found through the (attempt, step) index."""
    first = TrialMetric.objects.filter(attempt_id=OuterRef("attempt_id"), step__gte=step).order_by("step")
    return (
        Trial.objects.filter(study_id=trial.study_id)
        .exclude(pk=trial.pk)
        .annotate(
            first_step=Subquery(first.values("step")[:1]), first_value=Subquery(first.values("value")[:1])
        )
        .filter(first_step__isnull=False)
        .order_by()
        .values_list("number", "first_step", "first_value")
    )


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended. `state` is an Attempt.State; `value` (or, for a study with objectives,
    `values`: every metric by name) only for complete."""

    state: str
    value: float | None = None
    reason: str = ""
    values: dict | None = None


def finish_attempt(attempt_id: int, outcome: Outcome, *, schedule: bool = True) -> bool:
    """Record the end of an attempt, fenced; retry, re-queue or finish the trial; schedule the next.

    Returns False when the attempt had been superseded: nothing is written. With schedule=False no
    message is sent to schedule the study (the caller does it).
    """
    with transaction.atomic():
        finished = finish_locked(attempt_id, outcome)
        if finished is None:
            return False
        if schedule:
            enqueue_schedule(finished[1])
    return True


def finish_locked(attempt_id: int, outcome: Outcome) -> tuple[datetime, Study] | None:
    """finish_attempt's writes, in the caller's transaction: the time and the (locked) study, or None
    when the attempt had been superseded."""
    trial = _fenced_trial(attempt_id)
    if trial is None:
        return None
    now = db_now()
    study = trial.study
    outcome = _checked(study, outcome)
    Attempt.objects.filter(pk=attempt_id).update(state=outcome.state, ended=now, reason=outcome.reason)
    update = _trial_update(trial, study, outcome, now)
    Trial.objects.filter(pk=trial.pk).update(**update)
    StudySummary.moved(study.pk, Trial.State.RUNNING, update["state"])
    if update["state"] == Trial.State.COMPLETE:
        StudySummary.offer_best(
            study, trial.pk, trial.number, update["value"], update.get("feasible"), update.get("values")
        )
    if update["state"] == Trial.State.QUEUED:
        enqueue_run([trial.pk], study.queue)
    elif update["state"] == Trial.State.FAILED:
        _stop_after_failures(study)
    if update["state"] in Trial.FINISHED:
        enqueue_analysis(study)
    return now, study


def _checked(study: Study, outcome: Outcome) -> Outcome:
    """A complete outcome whose result the study cannot use becomes a failure that says why."""
    if outcome.state != Attempt.State.COMPLETE:
        return outcome
    if study.objectives:
        try:
            result_fields(study.objectives, study.constraints, outcome.values)
        except ResultError as error:
            return Outcome(Attempt.State.FAILED, reason=str(error))
    elif outcome.value is None or not math.isfinite(outcome.value):
        reason = f"the job returned {outcome.value!r}, not a finite number"
        return Outcome(Attempt.State.FAILED, reason=reason)
    return outcome


def _trial_update(trial: Trial, study: Study, outcome: Outcome, now: datetime) -> dict:
    if outcome.state == Attempt.State.COMPLETE:
        done = {"state": Trial.State.COMPLETE, "finished": now, "error": ""}
        if study.objectives:
            return {**done, **result_fields(study.objectives, study.constraints, outcome.values)}
        return {**done, "value": outcome.value}
    if outcome.state == Attempt.State.PRUNED:
        last = TrialMetric.objects.filter(attempt_id=trial.attempt_id).order_by("-step").first()
        return {
            "state": Trial.State.PRUNED,
            "value": last.value if last else None,
            "finished": now,
            "error": outcome.reason,
        }
    if outcome.state == Attempt.State.INTERRUPTED:
        return {"state": Trial.State.QUEUED, "enqueued": now, "error": outcome.reason}
    if outcome.state == Attempt.State.CANCELLED:
        return {"state": Trial.State.CANCELLED, "finished": now, "error": outcome.reason}
    failures = trial.attempts.filter(state=Attempt.State.FAILED).count()
    allowed = 1 + study.max_retries
    reason = f"attempt {failures}/{allowed} failed: {outcome.reason}"
    if failures < allowed and study.state == Study.State.RUNNING:
        return {"state": Trial.State.QUEUED, "enqueued": now, "error": reason}
    return {"state": Trial.State.FAILED, "finished": now, "error": reason}


def _stop_after_failures(study: Study) -> None:
    limit = study.max_consecutive_failures
    if not limit:
        return
    recent = list(
        study.trials.filter(state__in=Trial.FINISHED)
        .exclude(state=Trial.State.CANCELLED)
        .order_by("-finished", "-number")
        .values_list("state", flat=True)[:limit]
    )
    if len(recent) == limit and all(s == Trial.State.FAILED for s in recent):
        reason = f"stopped: the last {limit} trials failed in a row (see their errors)"
        if study.set_state(Study.State.FAILED, reason, only_from=(Study.State.RUNNING,)):
            queued = study.trials.filter(state=Trial.State.QUEUED)
            cancel_trials(study.pk, queued, "study stopped: " + reason)


# --- recovery: the reaper fails silent attempts, the reconciler republishes lost messages -----------


def reap_stale_attempts(grace_s: float | None = None) -> int:
    """Fail attempts whose heartbeat is older than the grace period (by the database clock)."""
    grace_s = settings.HPOWEB["GRACE_S"] if grace_s is None else grace_s
    now = db_now()
    cutoff = now - timezone.timedelta(seconds=grace_s)
    stale = Attempt.objects.filter(state=Attempt.State.RUNNING, heartbeat__lt=cutoff).select_related("trial")
    reaped = 0
    for attempt in stale:
        silent = (now - attempt.heartbeat).total_seconds()
        reason = f"worker lost: no heartbeat for {silent:.0f} s from {attempt.worker} on {attempt.host}"
        if attempt.trial.attempt_id != attempt.pk:
            Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.RUNNING).update(
                state=Attempt.State.FAILED, ended=now, reason=reason
            )
            continue
        reaped += finish_attempt(attempt.pk, Outcome(Attempt.State.FAILED, reason=reason))
    return reaped


def reconcile_queued(after_s: float | None = None) -> int:
    """Publish again trials queued too long with no live claim (a lost or flushed message)."""
    after_s = settings.HPOWEB["RECONCILE_AFTER_S"] if after_s is None else after_s
    cutoff = timezone.now() - timezone.timedelta(seconds=after_s)
    n = 0
    for study in Study.objects.filter(state=Study.State.RUNNING):
        with transaction.atomic():
            ids = list(
                study.trials.filter(state=Trial.State.QUEUED, enqueued__lt=cutoff).values_list(
                    "pk", flat=True
                )
            )
            if ids:
                Trial.objects.filter(pk__in=ids).update(enqueued=timezone.now())
                enqueue_run(ids, study.queue)
            enqueue_schedule(study)
        n += len(ids)
    return n
