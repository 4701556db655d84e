"""A retried trial waits for a free slot, and no optimizer proposes a cancelled trial's point again."""

from __future__ import annotations

import pytest

from studies import services
from studies.models import Trial
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db


def _running(study) -> int:
    return study.trials.filter(state=Trial.State.RUNNING).count()


@pytest.mark.parametrize("optimizer", ["random", "grid", "tpe", "gp", "cmaes"])
def test_a_retry_waits_for_a_free_slot_and_runs_once_in_it(make_study, optimizer):
    space = {"x": {"type": "int", "low": 0, "high": 3}}
    study = make_study(optimizer=optimizer, space=space, max_trials=4, max_parallel=1)
    study.set_state("running")
    worker = WorkerIdentity.current("w1")
    (first,) = services.schedule_trials(study.pk)
    services.claim_trial(first, worker)
    services.cancel_trial(Trial.objects.get(pk=first))
    (second,) = services.schedule_trials(study.pk)
    attempt = services.claim_trial(second, worker)
    cancelled, replacement = Trial.objects.get(pk=first), Trial.objects.get(pk=second)
    assert cancelled.params != replacement.params  # the cancelled point is not proposed again

    assert services.retry_trial(cancelled)
    assert services.claim_trial(first, WorkerIdentity.current("w2")) is None  # no slot: it waits
    assert _running(study) == 1 and Trial.objects.get(pk=first).state == Trial.State.QUEUED

    services.finish_attempt(attempt.pk, Outcome("complete", value=1.0))
    services.schedule_trials(study.pk)
    assert study.trials.count() == 2  # the freed slot went to the retried trial, not a new one
    assert services.claim_trial(first, WorkerIdentity.current("w2")) is not None
    assert _running(study) == 1


def test_a_retry_with_a_free_slot_runs_at_once(make_study):
    study = make_study(max_trials=3, max_parallel=2, max_retries=0)
    study.set_state("running")
    first, _second = services.schedule_trials(study.pk)
    attempt = services.claim_trial(first, WorkerIdentity.current("w1"))
    services.finish_attempt(attempt.pk, Outcome("failed", reason="boom"))
    assert services.retry_trial(Trial.objects.get(pk=first))
    assert services.claim_trial(first, WorkerIdentity.current("w2")) is not None
