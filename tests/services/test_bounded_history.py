"""Scheduling reads a bounded history: its cost does not grow with the study, and what it keeps is
the part that matters (the best trials, the recent ones, every pending point)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studies import services
from studies.jobs.builtins import branin
from studies.models import StudySummary, Trial
from studies.optimizers import get_optimizer
from studies.services import Outcome, WorkerIdentity, history

pytestmark = pytest.mark.django_db

BEST, RECENT = 5, 20


@pytest.fixture
def small_bounds(monkeypatch):
    """Bounds small enough that a test study of a few hundred trials outgrows them."""
    monkeypatch.setattr(history, "BEST", BEST)
    monkeypatch.setattr(history, "RECENT", RECENT)


def _run(study, n: int, objective=branin) -> None:
    """Run `n` trials of `study` one after the other, as a worker does (finish, schedule, claim)."""
    worker = WorkerIdentity.current("w1")
    (first,) = services.schedule_trials(study.pk, keep=1)
    attempt = services.claim_trial(first, worker)
    for _ in range(n - 1):
        value = objective(attempt.trial.params)
        attempt = services.finish_and_continue(attempt.pk, Outcome("complete", value=value), worker)
    services.finish_attempt(attempt.pk, Outcome("complete", value=objective(attempt.trial.params)))


def _schedule_one(study) -> tuple[int, dict]:
    """Schedule the next trial; the number of queries it took and the optimizer's facts about it."""
    with CaptureQueriesContext(connection) as queries:
        (trial_id,) = services.schedule_trials(study.pk)
    return len(queries), Trial.objects.get(pk=trial_id).suggestion


def test_scheduling_reads_the_same_bounded_history_whatever_the_study_size(make_study, small_bounds):
    seen = []
    for size in (60, 180):
        study = make_study(name=f"s{size}", optimizer="tpe", max_trials=size + 1, max_parallel=1)
        study.set_state("running")
        _run(study, size)
        n_queries, info = _schedule_one(study)
        seen.append((n_queries, info["n_good"] + info["n_bad"]))
    (small_queries, small_seen), (large_queries, large_seen) = seen
    assert small_queries == large_queries
    assert RECENT <= small_seen <= BEST + RECENT and RECENT <= large_seen <= BEST + RECENT


def test_the_history_keeps_the_best_trial_however_old(make_study, small_bounds):
    study = make_study(optimizer="random", max_trials=80, max_parallel=1)
    study.set_state("running")
    _run(study, 80, objective=lambda params: 10.0)
    oldest = study.trials.get(number=1)
    Trial.objects.filter(pk=oldest.pk).update(value=-1.0)
    history_, _pending = services.optimizer_inputs(study)
    assert (oldest.params, -1.0) in history_
    assert RECENT <= len(history_) <= BEST + RECENT


def test_a_bounded_history_never_makes_the_optimizer_repeat_itself(make_study, small_bounds):
    """Optimizers advance their random streams by the history's length, which stops growing."""
    study = make_study(optimizer="random", max_trials=60, max_parallel=1)
    study.set_state("running")
    _run(study, 60)
    points = [tuple(sorted(p.items())) for p in study.trials.values_list("params", flat=True)]
    assert len(set(points)) == 60


@pytest.mark.parametrize("optimizer", ["tpe", "random"])
def test_a_small_discrete_space_is_still_used_up_exactly_once(make_study, small_bounds, optimizer):
    """Its study has at most one trial per point, so its full history is bounded too."""
    space = {"a": {"type": "int", "low": 0, "high": 14}, "b": {"type": "categorical", "choices": ["x", "y"]}}
    study = make_study(optimizer=optimizer, space=space, max_trials=40, max_parallel=1)
    study.set_state("running")
    _run(study, 30, objective=lambda params: float(params["a"]))
    assert services.schedule_trials(study.pk) == []
    study.refresh_from_db()
    assert study.state == "completed" and "exhausted" in study.state_reason
    points = {(p["a"], p["b"]) for p in study.trials.values_list("params", flat=True)}
    assert len(points) == 30 == study.trials.count() > BEST + RECENT


def _reads_points(queries) -> bool:
    return any('"studies_trial"."params"' in q["sql"] for q in queries)


def test_a_step_decodes_only_the_points_of_trials_new_to_its_process(make_study):
    """Each step reads up to 1,400 rows; their points (JSON) are decoded once per process."""
    study = make_study(optimizer="random", max_trials=40, max_parallel=1)
    study.set_state("running")
    _run(study, 30)
    services.optimizer_inputs(study)  # the last trial's point, new to the process
    with CaptureQueriesContext(connection) as queries:
        history_, _pending = services.optimizer_inputs(study)
    assert len(history_) == 30
    assert not _reads_points(queries)
    Trial.objects.create(study=study, number=31, params={"x1": 1.0, "x2": 2.0}, state="complete", value=0.5)
    with CaptureQueriesContext(connection) as queries:
        history_, _pending = services.optimizer_inputs(study)
    assert ({"x1": 1.0, "x2": 2.0}, 0.5) in history_
    assert _reads_points(queries)


def test_a_cached_point_is_never_served_for_another_trial_under_the_same_id(make_study):
    """A database restored under a running worker (or a rolled-back test) can reuse a trial's id."""
    study = make_study(optimizer="random", max_trials=40, max_parallel=1)
    study.set_state("running")
    _run(study, 5)
    services.optimizer_inputs(study)  # every point now cached
    trial = study.trials.get(number=3)
    Trial.objects.filter(pk=trial.pk).update(
        params={"x1": 9.5, "x2": 14.5}, created=trial.created + timezone.timedelta(seconds=1)
    )
    history_, _pending = services.optimizer_inputs(study)
    assert {"x1": 9.5, "x2": 14.5} in [params for params, _ in history_]
    assert trial.params not in [params for params, _ in history_]


def test_a_step_with_no_free_slot_reads_no_trial(make_study):
    """A worker that waited for the step at work, or a step asked for twice, often finds every slot
    taken: it read the whole bounded history (up to 1,400 rows) to propose nothing."""
    study = make_study(optimizer="random", max_trials=50, max_parallel=2)
    study.set_state("running")
    assert len(services.schedule_trials(study.pk)) == 2  # both slots taken
    with CaptureQueriesContext(connection) as queries:
        assert services.schedule_trials(study.pk) == []
    assert not [q["sql"] for q in queries if 'SELECT "studies_trial".' in q["sql"]]  # no trial's row


@pytest.mark.parametrize("sobol", [False, True])
def test_a_random_step_on_a_continuous_space_reads_no_trial(make_study, sobol):
    """Random search there needs only how many trials were made: reading the bounded history (up to
    1,400 rows) was most of a millisecond trial's scheduling step. It still draws what it would
    have drawn from the history."""
    study = make_study(optimizer="random", optimizer_settings={"sobol": sobol}, max_trials=40, max_parallel=1)
    study.set_state("running")
    _run(study, 30)
    with CaptureQueriesContext(connection) as queries:
        (trial_id,) = services.schedule_trials(study.pk)
    assert not [q["sql"] for q in queries if '"studies_trial"."value"' in q["sql"]]  # no trial's result
    history_, _pending = services.optimizer_inputs(study)
    expected = get_optimizer("random", study.space.spec(), seed=study.seed, sobol=sobol).suggest(
        history=history_
    )
    assert Trial.objects.get(pk=trial_id).params == expected[0]


def test_random_search_draws_no_point_again_after_an_admin_deleted_a_trial(make_study):
    """Its step sees none of the points it would repeat, so it must draw from a stream no trial of
    the study came from; the study's trial count falls with a deletion, its last number does not."""
    study = make_study(optimizer="random", max_trials=20, max_parallel=1)
    study.set_state("running")
    _run(study, 10)
    Trial.objects.filter(study=study, number=5).delete()
    StudySummary.recount(study)  # as the admin does
    _run(study, 5)
    points = [tuple(sorted(p.items())) for p in study.trials.values_list("params", flat=True)]
    assert len(set(points)) == len(points) == 14
