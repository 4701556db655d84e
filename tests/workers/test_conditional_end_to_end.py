"""A study on a conditional space (jenatton) runs to completion with tpe and gp on real workers; each
trial holds exactly the parameters of its branch and the job computes the shared benchmark's value."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.builtins import jenatton
from studies.models import Study, Trial
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("optimizer", ["tpe", "gp"])
def test_a_tree_study_runs_to_completion_with_its_branches_on_real_workers(make_study, workers, optimizer):
    study = make_study(
        name=f"tree-{optimizer}",
        job="jenatton",
        optimizer=optimizer,
        optimizer_settings={"n_startup": 4},
        max_trials=8,
        max_parallel=2,
    )
    pool = [workers.start("w1")]
    assert services.start_study(study)

    def completed() -> bool:
        study.refresh_from_db()
        return study.state == Study.State.COMPLETED

    wait_for(completed, 120, "the study to complete", workers=pool)
    space = study.space.spec()
    trials = list(study.trials.order_by("number"))
    assert [t.state for t in trials] == [Trial.State.COMPLETE] * 8
    for trial in trials:
        space.validate_params(trial.params)
        assert trial.value == pytest.approx(jenatton(trial.params))
    assert len({t.params["x1"] for t in trials}) == 2, "both branches of the root were tried"
