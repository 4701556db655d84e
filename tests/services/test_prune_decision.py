"""services.prune_decision: the study's pruner on the stored curves, at a cost that does not grow."""

from __future__ import annotations

import pytest

from studies import external, services
from studies.jobs.builtins import SPACES
from studies.optimizers.pruners import get_pruner
from studies.services import WorkerIdentity

pytestmark = pytest.mark.django_db

# Curves with gaps: a rung's value is a trial's first report at or after the rung's step.
SHAPES = [[1, 2, 3, 4, 9, 10], [2, 5, 9, 12], [1, 3, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9], [4, 27]]


@pytest.fixture
def running_study(make_study):
    """A study whose `n` trials are all running, one attempt each, and report(i, step, value)."""

    def start(pruner: str, settings: dict, n: int):
        study = make_study(
            name=pruner,
            job="external",
            space=SPACES["branin"],
            max_trials=n,
            max_parallel=n,
            pruner=pruner,
            pruner_settings=settings,
        )
        services.start_study(study)
        handouts = [external.ask(study, WorkerIdentity("gpu")) for _ in range(n)]
        return study, [(h.trial.number, h.attempt.pk) for h in handouts]

    return start


@pytest.mark.parametrize(
    ("pruner", "settings"),
    [
        ("asha", {"min_resource": 1, "reduction_factor": 3}),
        ("median", {"n_startup_trials": 2}),
        ("hyperband", {"min_resource": 1, "max_resource": 27}),
    ],
)
def test_each_report_gets_the_decision_the_pruner_gives_on_every_full_curve(running_study, pruner, settings):
    study, trials = running_study(pruner, settings, 16)
    curves = {}
    for i, (number, attempt_id) in enumerate(trials[:-1]):
        curves[number] = [(step, (i * 7 % 11) / 10 + 1 / step) for step in SHAPES[i % len(SHAPES)]]
        for step, value in curves[number]:
            services.record_metric(attempt_id, step, value)
    number, attempt_id = trials[-1]
    own, decisions = [], []
    for step in [1, 2, 3, 4, 6, 9, 10, 26, 27]:
        own.append((step, 0.55 + 1 / step))
        services.record_metric(attempt_id, step, own[-1][1])
        expected = get_pruner(pruner, **settings).should_prune(number, own, curves, "minimize")
        decisions.append(services.prune_decision(attempt_id))
        assert decisions[-1] == (expected.prune, expected.reason)
    assert {prune for prune, _reason in decisions} == {True, False}, "the curves exercise both outcomes"


def test_a_decision_reads_a_fixed_number_of_queries_and_between_rungs_no_other_curve(
    running_study, django_assert_num_queries
):
    study, trials = running_study("asha", {"min_resource": 1, "reduction_factor": 3}, 12)
    for number, attempt_id in trials[:-1]:
        for step in range(1, 10):
            services.record_metric(attempt_id, step, number / 10 + 1 / step)
    _number, attempt_id = trials[-1]
    services.record_metric(attempt_id, 1, 0.1)
    with django_assert_num_queries(3):  # the trial, its curve, each other trial's value at rung 1
        assert services.prune_decision(attempt_id)[0] is False
    services.record_metric(attempt_id, 2, 0.1)
    with django_assert_num_queries(2) as between_rungs:  # the trial and its own curve
        services.prune_decision(attempt_id)
    read = [q["sql"] for q in between_rungs.captured_queries if "studies_trialmetric" in q["sql"]]
    assert len(read) == 1 and f'"attempt_id" = {attempt_id}' in read[0]
    study.pruner, study.pruner_settings = "median", {}
    study.save(update_fields=["pruner", "pruner_settings"])
    with django_assert_num_queries(3):  # the median rule reads the other trials' values at step 2
        services.prune_decision(attempt_id)
