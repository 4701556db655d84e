"""Hand-picked trials run on real `celery worker` processes like the optimizer's own, inside the budget."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.builtins import branin
from studies.models import Study, Trial
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PICKED = [{"x1": 1.0, "x2": 2.0}, {"x1": -3.0, "x2": 12.5}]


def test_hand_picked_points_run_first_on_real_workers_and_count_in_the_budget(api, make_study, workers):
    study = make_study(
        job="branin", max_trials=4, max_parallel=1, job_settings={"steps": 2, "duration_s": 0.1}
    )
    for params in PICKED:
        assert (
            api.post(f"/api/studies/{study.pk}/trials/", {"params": params}, format="json").status_code == 201
        )
    pool = [workers.start("w1")]
    assert services.start_study(study)

    def completed() -> bool:
        study.refresh_from_db()
        return study.state == Study.State.COMPLETED

    wait_for(completed, 90, "the study to complete", workers=pool)

    trials = list(study.trials.order_by("number"))
    assert len(trials) == 4 and all(t.state == Trial.State.COMPLETE for t in trials)
    assert [t.params for t in trials[:2]] == PICKED
    assert all(t.value == pytest.approx(branin(t.params)) for t in trials)
    assert [t.suggestion.get("phase") for t in trials[:2]] == ["hand-picked", "hand-picked"]
