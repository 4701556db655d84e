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
        assert study.trials.queued_or_running().count() <= 3
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


def _running_first_trial(make_study):
    """A running study of 3 trials, one at a time, and a worker's attempt at its first trial."""
    study = make_study(max_trials=3, max_parallel=1)
    study.set_state("running")
    worker = WorkerIdentity.current("chain")
    [trial_id] = services.schedule_trials(study.pk, keep=1)
    return study, worker, services.claim_trial(trial_id, worker)


def test_a_finishing_worker_stores_its_result_and_gets_the_next_trial_claimed_in_one_step(make_study):
    study, worker, attempt = _running_first_trial(make_study)
    for number in (2, 3):
        attempt = services.finish_and_continue(attempt.pk, Outcome("complete", value=float(number)), worker)
        trial = Trial.objects.get(pk=attempt.trial_id)
        assert (trial.number, trial.state, trial.n_attempts) == (number, "running", 1)
        assert trial.attempt_id == attempt.pk
        assert (attempt.number, attempt.worker) == (1, worker.name)
    assert services.finish_and_continue(attempt.pk, Outcome("complete", value=4.0), worker) is None
    study.refresh_from_db()
    assert study.state == "completed"
    assert sorted(study.trials.values_list("number", "value")) == [(1, 2.0), (2, 3.0), (3, 4.0)]


def test_an_optimizer_that_fails_while_scheduling_loses_no_result(make_study):
    study, worker, attempt = _running_first_trial(make_study)
    type(study).objects.filter(pk=study.pk).update(optimizer_settings={"no_such_setting": 1})
    assert services.finish_and_continue(attempt.pk, Outcome("complete", value=0.5), worker) is None
    [trial] = study.trials.all()
    assert (trial.state, trial.value) == ("complete", 0.5)


def test_workers_that_finish_and_claim_at_the_same_time_keep_the_budget_and_the_numbering(make_study):
    study = make_study(max_trials=16, max_parallel=2)
    study.set_state("running")
    errors = []

    def work(trial_id: int, name: str) -> None:
        worker = WorkerIdentity.current(name)
        try:
            while trial_id is not None:
                attempt = services.claim_trial(trial_id, worker)
                while attempt is not None:
                    attempt = services.finish_and_continue(attempt.pk, Outcome("complete", value=1.0), worker)
                # as a Celery worker takes a published trial (one a freed slot made when both had finished)
                trial_id = study.trials.filter(state="queued").values_list("pk", flat=True).first()
        except Exception as error:  # surfaced below, with the thread's error
            errors.append(error)
        finally:
            connection.close()

    first, second = services.schedule_trials(study.pk, keep=2)
    threads = [threading.Thread(target=work, args=(t, f"w{t}")) for t in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    study.refresh_from_db()
    assert study.state == "completed"
    assert sorted(study.trials.values_list("number", flat=True)) == list(range(1, 17))
    assert set(study.trials.values_list("state", "n_attempts")) == {("complete", 1)}
