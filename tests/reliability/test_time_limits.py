"""A hung job is killed at the study's time limit; the worker goes on with the next trial."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.builtins import branin
from studies.models import Study
from tests.reliability.checks import assert_sound_history
from tests.reliability.fleet import LOAD_MARGIN_S

TIME_LIMIT_S = 2.0

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_hung_job_is_killed_at_its_time_limit_and_the_worker_takes_the_next_trial(make_study, fleet):
    study = make_study(
        max_trials=2,
        max_parallel=1,
        max_retries=0,
        trial_timeout_s=TIME_LIMIT_S,
        job_settings={"duration_s": 600.0},
    )
    fleet.start("w1")
    services.start_study(study)

    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=90)
    trials = assert_sound_history(study, branin, fleet, n_trials=2)
    for trial in trials:
        [attempt] = trial.attempts.all()
        assert trial.state == "failed" and attempt.reason.startswith("timeout")
        assert attempt.worker.startswith("w1@")
        ran_s = (attempt.ended - attempt.claimed).total_seconds()
        assert TIME_LIMIT_S <= ran_s < TIME_LIMIT_S + LOAD_MARGIN_S, f"killed after {ran_s:.1f} s"
