"""A two-objective study under a constraint runs to completion on real `celery worker` processes."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.multi_objective import SPACES, zdt1
from studies.models import Study, StudySummary, Trial
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _done(study) -> bool:
    study.refresh_from_db()
    return study.state != Study.State.RUNNING


# Four start-up trials: with two running at a time, trial 7 on is proposed after at least four
# results, so tpe's and gp's models (MOTPE, EHVI) choose some of the 12 however the workers interleave.
@pytest.mark.parametrize("optimizer", ["nsga2", "tpe", "gp"])
def test_a_constrained_two_objective_study_runs_to_completion_on_real_workers(make_study, workers, optimizer):
    objectives = [{"metric": "f1", "direction": "minimize"}, {"metric": "f2", "direction": "minimize"}]
    study = make_study(
        name="zdt",
        job="zdt1",
        space=SPACES["zdt1"],
        optimizer=optimizer,
        objectives=objectives,
        constraints=[{"metric": "f2", "max": 3.0}],
        metric="f1",
        optimizer_settings={} if optimizer == "nsga2" else {"n_startup": 4},
        max_trials=12,
        max_parallel=2,
    )
    pool = [workers.start("w1"), workers.start("w2")]
    services.start_study(study)

    wait_for(lambda: _done(study), 120, "the study to finish", workers=pool)

    assert study.state == Study.State.COMPLETED, study.state_reason
    trials = list(study.trials.order_by("number"))
    assert len(trials) == 12
    for trial in trials:
        assert trial.state == Trial.State.COMPLETE, trial.error
        assert trial.values == pytest.approx(zdt1(trial.params))
        assert trial.feasible == (trial.values["f2"] <= 3.0)
    assert set(StudySummary.pareto_numbers(study)) <= {t.number for t in trials if t.feasible}
    if optimizer != "nsga2":  # nsga2's first population is 12 Sobol points
        assert any(t.suggestion.get("phase") == "model" for t in trials)
