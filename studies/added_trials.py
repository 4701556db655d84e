"""Trials a person adds to a study: a hand-picked point to run (Optuna's `enqueue_trial`) or a result
that ran elsewhere (Optuna's `add_trial`).

Both are numbered under the study's lock like the optimizer's own trials and count in its budget. A
hand-picked point is queued and waits for a free slot (`scheduling.release_waiting` publishes it), so
until it ends every optimizer sees it as pending; a recorded result is history at once. With a
`request_id` a repeated call returns the trial the first one added (the lost-response retry); the
same id with a different body is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from studies.models import Attempt, Study, StudySummary, Trial, TrialMetric
from studies.services import audit, enqueue_analysis, enqueue_schedule
from studies.services.scheduling import release_waiting

HAND_PICKED = "hand-picked"
RECORDED = "recorded"
ENQUEUE_STATES = (Study.State.DRAFT, Study.State.RUNNING, Study.State.PAUSED)


class TrialRefused(Exception):
    """The study cannot take the trial. `errors` by field path (HTTP 400), or a conflict with what is
    stored (`conflict`: the budget is spent, the study has ended, a request id reused: HTTP 409)."""

    def __init__(self, errors: dict[str, list[str]], *, conflict: bool = False) -> None:
        super().__init__("; ".join(f"{path}: {' '.join(m)}" for path, m in errors.items()))
        self.errors = errors
        self.conflict = conflict


@dataclass(frozen=True)
class Result:
    """How a trial that ran elsewhere ended: `state` is complete (with `value`, and for a study with
    objectives `values` and `feasible`), pruned or failed."""

    state: str
    value: float | None = None
    values: dict | None = None
    feasible: bool | None = None
    started: datetime | None = None
    finished: datetime | None = None
    curve: tuple[tuple[int, float], ...] = ()
    error: str = ""


def add_trial(
    user, study: Study, params: dict, result: Result | None = None, request_id: str = ""
) -> tuple[Trial, bool]:
    """Queue `params` (no `result`) or record a finished trial; (the trial, whether it is new)."""
    with transaction.atomic():
        locked = Study.objects.select_for_update(no_key=True).get(pk=study.pk)
        earlier = _earlier(locked, request_id)
        if earlier is not None:
            _check_repeat(earlier, params, result)
            return earlier, False
        _check_params(locked, params)
        _check_result(locked, result)
        number = _next_number(locked, result)
        info = {"phase": RECORDED if result else HAND_PICKED, "by": user.username}
        if request_id:
            info["request_id"] = request_id
        if result is None:
            trial = _queue(locked, number, params, info)
        else:
            trial = _record(locked, number, params, info, result)
        audit(user, "record trial" if result else "enqueue trial", locked, f"trial {number}: {params}")
    return trial, True


def _earlier(study: Study, request_id: str) -> Trial | None:
    if not request_id:
        return None
    return study.trials.filter(suggestion__request_id=request_id).first()


def _check_repeat(trial: Trial, params: dict, result: Result | None) -> None:
    same_kind = (result is None) == (trial.suggestion.get("phase") == HAND_PICKED)
    same_value = result is None or result.value == trial.value
    if trial.params != params or not same_kind or not same_value:
        raise TrialRefused(
            {"request_id": [f"already used for trial {trial.number} with a different body"]}, conflict=True
        )


def _check_params(study: Study, params: dict) -> None:
    try:
        study.space.spec().validate_params(params)
    except ValueError as error:
        raise TrialRefused({"params": [str(error)]}) from None


def _check_result(study: Study, result: Result | None) -> None:
    if result is None:
        return
    if result.state == Trial.State.COMPLETE and result.value is None:
        field = "values" if study.objectives else "value"
        raise TrialRefused({field: [f"a complete trial needs its {field}"]})
    steps = [step for step, _value in result.curve]
    if len(set(steps)) != len(steps):
        raise TrialRefused({"curve": ["a curve may hold each step once"]})


def _next_number(study: Study, result: Result | None) -> int:
    """The next trial number, inside the budget; a point to run needs a study that may still run."""
    if result is None and study.state not in ENQUEUE_STATES:
        raise TrialRefused(
            {"study": [f"cannot queue a trial in a study that is {study.state}"]}, conflict=True
        )
    total = StudySummary.objects.values_list("n_trials", flat=True).get(study=study)
    if total >= study.max_trials:
        message = f"the study's budget of {study.max_trials} trials is spent"
        raise TrialRefused({"study": [message]}, conflict=True)
    return total + 1


def _queue(study: Study, number: int, params: dict, info: dict) -> Trial:
    """A waiting trial (no slot yet): published at once when the running study has room, else later."""
    trial = Trial.objects.create(study=study, number=number, params=params, suggestion=info, enqueued=None)
    StudySummary.moved(study.pk, None, Trial.State.QUEUED)
    if study.state == Study.State.RUNNING:
        release_waiting(study)
    trial.refresh_from_db()
    return trial


def _record(study: Study, number: int, params: dict, info: dict, result: Result) -> Trial:
    """A finished trial with one attempt (what ran elsewhere) and its learning curve."""
    finished = result.finished or timezone.now()
    value = result.value
    if value is None and result.state == Trial.State.PRUNED and result.curve:
        value = result.curve[-1][1]
    trial = Trial.objects.create(
        study=study,
        number=number,
        params=params,
        state=result.state,
        value=None if result.state == Trial.State.FAILED else value,
        values=result.values if result.state == Trial.State.COMPLETE else None,
        feasible=result.feasible if result.state == Trial.State.COMPLETE else None,
        enqueued=None,
        started=result.started,
        finished=finished,
        worker=f"recorded by {info['by']}",
        error=result.error,
        n_attempts=1,
        suggestion=info,
    )
    attempt = Attempt.objects.create(
        trial=trial,
        number=1,
        state=result.state,
        worker=trial.worker,
        claimed=result.started or finished,
        heartbeat=finished,
        ended=finished,
        reason=result.error,
    )
    Trial.objects.filter(pk=trial.pk).update(attempt=attempt)
    trial.attempt = attempt
    StudySummary.moved(study.pk, None, trial.state)
    if trial.state == Trial.State.COMPLETE:
        StudySummary.offer_best(study, trial.pk, number, trial.value, trial.feasible, trial.values)
    TrialMetric.objects.bulk_create(
        TrialMetric(trial=trial, attempt=attempt, step=step, value=v) for step, v in result.curve
    )
    enqueue_analysis(study)
    # A result takes no slot; once it spends the budget, scheduling completes the study.
    if study.state == Study.State.RUNNING and number >= study.max_trials:
        enqueue_schedule(study)
    return trial
