"""Budget and grid under races: duplicated scheduling and run messages with three workers."""

from __future__ import annotations

import time

import pytest
from celery import current_app

from studies import services
from studies.jobs.builtins import branin, rosenbrock4
from studies.models import Study
from tests.reliability.checks import assert_sound_history

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _flood_until_finished(study: Study, fleet, timeout: float = 150) -> None:
    """Publish duplicate schedule and run messages until the study ends: none may add a trial or a run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        study.refresh_from_db()
        if study.state != Study.State.RUNNING:
            return
        for _ in range(2):
            current_app.send_task("workers.schedule_study", args=[study.pk], queue=study.queue)
        for trial_id in study.trials.values_list("pk", flat=True):
            current_app.send_task("workers.run_trial", args=[trial_id], queue=study.queue)
        time.sleep(0.5)
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=1)


def test_duplicate_messages_and_three_workers_give_exactly_the_budget_numbered_without_gaps(
    make_study, fleet
):
    study = make_study(max_trials=12, max_parallel=3, job_settings={"duration_s": 0.3})
    for name in ("w1", "w2", "w3"):
        fleet.start(name)
    services.start_study(study)

    _flood_until_finished(study, fleet)

    trials = assert_sound_history(study, branin, fleet, n_trials=12)
    assert all(t.state == "complete" and t.n_attempts == 1 for t in trials)


def test_a_three_by_three_grid_runs_exactly_nine_distinct_points_under_duplicate_messages(make_study, fleet):
    space = {
        "x1": {"type": "float", "low": -5.0, "high": 10.0, "step": 7.5},
        "x2": {"type": "float", "low": 0.0, "high": 15.0, "step": 7.5},
    }
    study = make_study(
        space=space, optimizer="grid", max_trials=50, max_parallel=3, job_settings={"duration_s": 0.2}
    )
    for name in ("w1", "w2", "w3"):
        fleet.start(name)
    services.start_study(study)

    _flood_until_finished(study, fleet)

    trials = assert_sound_history(study, branin, fleet, n_trials=9)
    assert len({(t.params["x1"], t.params["x2"]) for t in trials}) == 9
    assert "exhausted" in study.state_reason


def test_results_stay_with_their_trial_when_three_workers_finish_at_once(make_study, fleet):
    study = make_study(job="rosenbrock4", max_trials=30, max_parallel=3, job_settings={"steps": 2})
    for name in ("w1", "w2", "w3"):
        fleet.start(name)
    services.start_study(study)

    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=150)

    trials = assert_sound_history(study, rosenbrock4, fleet, n_trials=30)
    assert len({t.worker for t in trials}) >= 2
    for trial in trials:
        assert trial.curve()[-1][1] == pytest.approx(rosenbrock4(trial.params))
