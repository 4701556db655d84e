"""Scheduling under races: the budget and the parallelism limit hold whatever the interleaving."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from studies import services
from studies.models import Trial
from studies.services import Outcome, WorkerIdentity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _race(study_id: int, n: int = 4) -> None:
    errors = []

    def run():
        try:
            services.schedule_trials(study_id)
        except Exception as error:  # surfaced below, with the thread's error
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_racing_schedulers_never_exceed_parallelism_or_budget(make_study):
    study = make_study(max_trials=9, max_parallel=3)
    study.set_state("running")
    worker = WorkerIdentity.current("race")
    for _ in range(8):
        _race(study.pk)
        assert study.trials.active().count() <= 3
        assert study.trials.count() <= 9
        for trial in study.trials.filter(state=Trial.State.QUEUED)[:2]:
            attempt = services.claim_trial(trial.pk, worker)
            services.finish_attempt(attempt.pk, Outcome("complete", value=1.0))
    numbers = sorted(study.trials.values_list("number", flat=True))
    assert numbers == list(range(1, 10))


def test_a_trial_is_claimed_once_even_when_its_message_is_delivered_twice(make_study):
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    [trial_id] = services.schedule_trials(study.pk)
    first = services.claim_trial(trial_id, WorkerIdentity.current("a"))
    second = services.claim_trial(trial_id, WorkerIdentity.current("b"))
    assert first is not None and second is None


def test_the_grid_never_schedules_a_point_twice_and_the_study_completes_when_exhausted(make_study):
    space = {
        "a": {"type": "int", "low": 0, "high": 2},
        "b": {"type": "categorical", "choices": ["x", "y", "z"]},
    }
    study = make_study(space=space, optimizer="grid", max_trials=50, max_parallel=4)
    study.set_state("running")
    worker = WorkerIdentity.current("grid")
    while True:
        _race(study.pk, n=3)
        queued = list(study.trials.filter(state=Trial.State.QUEUED))
        if not queued:
            break
        for trial in queued:
            attempt = services.claim_trial(trial.pk, worker)
            services.finish_attempt(attempt.pk, Outcome("complete", value=float(trial.number)))
    services.schedule_trials(study.pk)
    study.refresh_from_db()
    points = [(t.params["a"], t.params["b"]) for t in study.trials.all()]
    assert len(points) == 9 and len(set(points)) == 9
    assert study.state == "completed" and "exhausted" in study.state_reason
