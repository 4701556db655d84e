"""The optimizer proposes outside the study's lock: a result is stored while a slow suggestion runs,
and a proposal overtaken by another scheduler's trials is made again, so no point is stored twice.
One step schedules a study at a time: another one asks for a step and returns, and the first sends it;
a finishing worker waits for a step as short as the last one and claims its next trial itself.

The slow suggestion is real: an optimizer registered for the test that holds each thread's first
suggestion until the test lets it go (threads, a real database; nothing mocked).
"""

from __future__ import annotations

import queue
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from studies import services
from studies.models import StudySummary, Trial
from studies.optimizers import registry
from studies.optimizers.grid import GridSearch
from studies.services import Outcome, WorkerIdentity, scheduling
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


def _finish_and_continue_in_thread(attempt_id: int, result: dict) -> threading.Thread:
    """A worker finishing its attempt and asking for its next trial, as `workers.runner` does."""

    def run() -> None:
        try:
            worker, outcome = WorkerIdentity.current("w2"), Outcome("complete", value=1.0)
            result["attempt"] = services.finish_and_continue(attempt_id, outcome, worker)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_finishing_worker_waits_for_a_step_as_short_as_the_last_and_claims_its_next_trial(
    make_study, gates, monkeypatch
):
    monkeypatch.setitem(settings.HPOWEB, "FOLLOW_S", WAIT_S)  # the held step counts as short
    study, (first, second) = _running_study(make_study)
    services.finish_attempt(first.pk, Outcome("complete", value=2.0), schedule=False)
    early = _scheduler(gates, "early", study.pk)  # holds the study's lease, proposing one point
    empty_broker()
    result: dict = {}
    finisher = _finish_and_continue_in_thread(second.pk, result)
    deadline = time.monotonic() + WAIT_S
    while Trial.objects.get(pk=second.trial_id).state != "complete" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert finisher.is_alive()  # its result is stored; it waits for the lease

    gates.gates["early"].set()
    early.join(WAIT_S)
    finisher.join(WAIT_S)
    attempt = result["attempt"]
    assert attempt is not None, "the worker left its chain"
    assert Trial.objects.get(pk=attempt.trial_id).state == "running"
    assert _schedule_messages(study.queue) == []  # no step asked for, none sent
    assert study.trials.count() == 4 and len(set(_points(study))) == 4
    assert StudySummary.objects.get(study=study).step_s > 0  # the step that stored trials timed itself


def test_a_finishing_worker_leaves_a_step_longer_than_follow_s_a_request(make_study, gates, monkeypatch):
    monkeypatch.setitem(settings.HPOWEB, "FOLLOW_S", WAIT_S)
    study, (first, second) = _running_study(make_study)
    services.finish_attempt(first.pk, Outcome("complete", value=2.0), schedule=False)
    early = _scheduler(gates, "early", study.pk)
    StudySummary.objects.filter(study=study).update(step_s=2 * WAIT_S)  # the last step was a long fit
    empty_broker()

    started = time.monotonic()
    outcome = Outcome("complete", value=1.0)
    assert services.finish_and_continue(second.pk, outcome, WorkerIdentity.current("w2")) is None
    assert time.monotonic() - started < WAIT_S / 2  # it did not wait for the held step
    assert StudySummary.objects.get(study=study).schedule_again

    gates.gates["early"].set()
    early.join(WAIT_S)
    assert _schedule_messages(study.queue) == [[study.pk]]  # the step at work sent one for its slot


def test_a_worker_whose_slot_the_step_it_waited_for_filled_claims_that_trial(make_study, gates, monkeypatch):
    monkeypatch.setitem(settings.HPOWEB, "FOLLOW_S", WAIT_S)
    study, (first, second) = _running_study(make_study)
    services.finish_attempt(first.pk, Outcome("complete", value=2.0), schedule=False)
    services.finish_attempt(second.pk, Outcome("complete", value=1.0), schedule=False)
    early = _scheduler(gates, "early", study.pk)  # saw both slots free: proposes two, publishes both
    result: dict = {}

    def follow() -> None:  # the second worker's continuation after its finish (`finish_and_continue`)
        try:
            result["stored"] = scheduling._schedule(study.pk, 1, WorkerIdentity.current("w2"), False)
        finally:
            connection.close()

    follower = threading.Thread(target=follow)
    follower.start()
    gates.gates["early"].set()
    early.join(WAIT_S)
    follower.join(WAIT_S)
    created, attempt = result["stored"]
    assert created == []  # no slot was left to fill
    assert attempt is not None, "the worker left its chain"
    assert attempt.trial.number == 3 and Trial.objects.get(pk=attempt.trial_id).state == "running"
    assert study.trials.count() == 4
