"""Ask/tell for external workers: trials handed out over HTTP, every write fenced by the attempt id.

A study whose job is `external` is scheduled like any other (`services.schedule_trials` creates its
trials under the study lock) but its trials are never published to Celery: `ask` claims one with the
same `claim_trial` a Celery worker uses. Every call is safe to repeat (a client retrying after a lost
response changes nothing); a repeat that contradicts what is stored is a `Conflict`.
"""

from __future__ import annotations

from dataclasses import dataclass

from studies import services
from studies.job_catalog import EXTERNAL
from studies.models import Attempt, Study, Trial, TrialMetric
from studies.services import Outcome, WorkerIdentity


class Conflict(Exception):
    """The call contradicts the stored state (superseded attempt, different value): HTTP 409."""


@dataclass(frozen=True)
class Handout:
    trial: Trial
    attempt: Attempt


def ask(study: Study, worker: WorkerIdentity, request_key: str = "") -> Handout | None:
    """Claim the study's next queued trial (scheduling first if slots are free); None when none is free.

    With a `request_key` the worker's name carries it, so a retried ask returns the attempt the lost
    response held instead of claiming a second trial.
    """
    if study.job != EXTERNAL:
        raise Conflict("this study's trials run on hpoweb's workers, not on external ones")
    if request_key:
        worker = WorkerIdentity(f"{worker.name} #{request_key}"[:200], worker.host, worker.pid)
        earlier = (
            Attempt.objects.filter(trial__study=study, worker=worker.name, state=Attempt.State.RUNNING)
            .select_related("trial")
            .first()
        )
        if earlier is not None:
            return Handout(earlier.trial, earlier)
    services.schedule_trials(study.pk, wait=True)
    queued = study.trials.filter(state=Trial.State.QUEUED).order_by("number")
    for trial_id in queued.values_list("pk", flat=True):
        attempt = services.claim_trial(trial_id, worker)
        if attempt is not None:
            return Handout(attempt.trial, attempt)
    return None


def _attempt(trial: Trial, attempt_id: int) -> Attempt:
    if trial.study.job != EXTERNAL:
        raise Conflict("this trial runs on hpoweb's workers, not on an external one")
    attempt = Attempt.objects.filter(pk=attempt_id, trial=trial).first()
    if attempt is None:
        raise Conflict(f"attempt {attempt_id} is not an attempt of trial {trial.pk}")
    return attempt


def _ended(attempt: Attempt) -> Conflict:
    attempt.refresh_from_db()
    return Conflict(f"attempt {attempt.pk} is {attempt.state}: {attempt.reason}".rstrip(": "))


def report(trial: Trial, attempt_id: int, step: int, value: float) -> tuple[bool, str]:
    """Store a learning-curve point and heartbeat; (prune, reason) from the study's pruner."""
    attempt = _attempt(trial, attempt_id)
    stored = services.record_metric(attempt_id, step, value)
    points = TrialMetric.objects.filter(attempt_id=attempt_id, step=step)
    point = points.values_list("value", flat=True).first()
    if point is None:
        raise _ended(attempt)
    if point != value:
        raise Conflict(f"step {step} of attempt {attempt_id} was reported as {point}, not {value}")
    if not stored:  # a repeat of a point whose attempt has ended since: answer as it ended
        attempt.refresh_from_db()
        return attempt.state == Attempt.State.PRUNED, attempt.reason
    return services.prune_decision(attempt_id)


def heartbeat(trial: Trial, attempt_id: int) -> None:
    attempt = _attempt(trial, attempt_id)
    if not services.heartbeat(attempt_id):
        raise _ended(attempt)


def tell(trial: Trial, attempt_id: int, outcome: Outcome) -> None:
    """End the attempt (and schedule the next trials at once: no Celery worker need be running)."""
    attempt = _attempt(trial, attempt_id)
    if services.finish_attempt(attempt_id, outcome):
        services.schedule_trials(trial.study_id, wait=True)
        return
    attempt.refresh_from_db()
    trial.refresh_from_db()
    counted = (
        trial.attempt_id == attempt.pk
        and trial.value == outcome.value
        and (outcome.values is None or trial.values == outcome.values)
    )
    if attempt.state != outcome.state or (outcome.state == Attempt.State.COMPLETE and not counted):
        raise Conflict(f"attempt {attempt_id} already ended as {attempt.state}: {attempt.reason}")
