"""The optimizer proposes outside the study's lock: a result is stored while a slow suggestion runs,
and a proposal overtaken by another scheduler's trials is made again, so no point is stored twice.
One step schedules a study at a time: another one asks for a step and returns, and the first sends it.

The slow suggestion is real: an optimizer registered for the test that holds each thread's first
suggestion until the test lets it go (threads, a real database; nothing mocked).
"""

from __future__ import annotations

import queue
import threading

import pytest
from django.db import connection

from studies import services
from studies.models import StudySummary, Trial
from studies.optimizers import registry
from studies.optimizers.grid import GridSearch
from studies.services import Outcome, WorkerIdentity
from tests.conftest import empty_broker, take_messages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SPACE = {"a": {"type": "int", "low": 0, "high": 9}, "b": {"type": "int", "low": 0, "high": 9}}
WAIT_S = 60  # far above one transaction's time with both cores busy; reached only when a lock is held


class Gates:
    """Each named thread's first suggestion waits for its gate; `entered` says who is waiting."""

    def __init__(self) -> None:
        self.entered: queue.Queue[str] = queue.Queue()
        self.gates: dict[str, threading.Event] = {}

    def hold(self) -> None:
        gate = self.gates.get(threading.current_thread().name)
        if gate is not None and not gate.is_set():
            self.entered.put(threading.current_thread().name)
            gate.wait(WAIT_S)


@pytest.fixture
def gates(monkeypatch) -> Gates:
    """A grid search (deterministic: the same inputs give the same points) registered as "gated",
    whose suggestions the test holds."""
    held = Gates()

    class GatedGrid(GridSearch):
        def suggest_with_info(self, history, pending, n=1):
            suggestions = super().suggest_with_info(history, pending, n)
            held.hold()
            return suggestions

    monkeypatch.setitem(registry._CLASSES, "gated", GatedGrid)
    return held


def _scheduler(gates: Gates, name: str, study_id: int) -> threading.Thread:
    """A thread scheduling the study, its first suggestion held until `gates.gates[name]` is set."""
    gates.gates[name] = threading.Event()

    def run() -> None:
        try:
            services.schedule_trials(study_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    assert gates.entered.get(timeout=WAIT_S) == name
    return thread


def _running_study(make_study):
    """A running study on the gated grid with both of its two slots taken by running trials."""
    study = make_study(job="branin", space=SPACE, optimizer="gated", max_trials=20, max_parallel=2)
    study.set_state("running")
    worker = WorkerIdentity.current("w1")
    attempts = [services.claim_trial(t, worker) for t in services.schedule_trials(study.pk, keep=2)]
    return study, attempts


def _finish_in_thread(attempt_id: int) -> threading.Thread:
    def run() -> None:
        try:
            services.finish_attempt(attempt_id, Outcome("complete", value=1.0), schedule=False)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _points(study) -> list[tuple]:
    return [tuple(sorted(p.items())) for p in study.trials.values_list("params", flat=True)]


def test_a_result_is_stored_while_a_slow_suggestion_runs(make_study, gates):
    study, (first, second) = _running_study(make_study)
    services.finish_attempt(first.pk, Outcome("complete", value=2.0), schedule=False)
    slow = _scheduler(gates, "slow", study.pk)  # now inside the optimizer, holding its suggestion

    finisher = _finish_in_thread(second.pk)
    finisher.join(WAIT_S / 2)
    assert not finisher.is_alive(), "storing a result waited for the suggestion"
    assert Trial.objects.get(pk=second.trial_id).state == "complete"
    assert slow.is_alive()  # the suggestion was still running when the result was stored

    gates.gates["slow"].set()
    slow.join(WAIT_S)
    assert study.trials.count() == 3
    assert len(set(_points(study))) == 3


def _schedule_messages(queue: str) -> list[list]:
    """The `workers.schedule_study` messages waiting in the real broker: each one's args."""
    return [args for task, args in take_messages(queue) if task == "workers.schedule_study"]


def test_while_a_step_schedules_the_study_another_asks_for_a_step_and_the_first_sends_it(make_study, gates):
    study, (first, second) = _running_study(make_study)
    services.finish_attempt(first.pk, Outcome("complete", value=2.0), schedule=False)
    early = _scheduler(gates, "early", study.pk)  # holds the study's lease, proposing one point
    services.finish_attempt(second.pk, Outcome("complete", value=1.0), schedule=False)
    empty_broker()

    assert services.schedule_trials(study.pk) == []  # returns at once: no second proposal
    assert StudySummary.objects.get(study=study).schedule_again

    gates.gates["early"].set()
    early.join(WAIT_S)
    assert study.trials.count() == 3  # the early step filled the slot it saw free
    assert _schedule_messages(study.queue) == [[study.pk]]  # and sent a step for the other
    assert len(services.schedule_trials(study.pk)) == 1  # as the worker taking that message does
    assert len(set(_points(study))) == 4
    assert StudySummary.objects.filter(study=study, scheduler_until__isnull=True).exists()


def test_a_proposal_overtaken_by_another_schedulers_trials_is_made_again(make_study, gates):
    study, (first, second) = _running_study(make_study)
    services.finish_attempt(first.pk, Outcome("complete", value=2.0), schedule=False)
    early = _scheduler(gates, "early", study.pk)  # proposes one point: the next free cell
    services.finish_attempt(second.pk, Outcome("complete", value=1.0), schedule=False)
    # the early suggestion outlasts its lease (one grace period), so another step takes the study
    StudySummary.objects.filter(study=study).update(scheduler_until=services.db_now())
    late = _scheduler(gates, "late", study.pk)  # proposes two: the same cell and the one after

    gates.gates["early"].set()
    early.join(WAIT_S)
    assert study.trials.count() == 3
    gates.gates["late"].set()
    late.join(WAIT_S)
    assert not early.is_alive() and not late.is_alive()
    assert study.trials.count() == 4  # two slots: the late scheduler filled the one left
    assert len(set(_points(study))) == 4
    assert sorted(study.trials.values_list("number", flat=True)) == [1, 2, 3, 4]
