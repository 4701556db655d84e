"""Redis restarted and flushed with trials queued and running (PostgreSQL + Redis session only)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study
from tests.reliability.checks import assert_sound_history
from tests.reliability.outages import restart_redis_empty

pytestmark = [
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("services_session"),
]


def test_after_redis_restarts_empty_workers_consume_again_and_every_queued_trial_runs_once(make_study, fleet):
    study = make_study(max_trials=8, max_parallel=3, job_settings={"steps": 4, "duration_s": 4.0})
    # no chaining: every trial must come through the broker
    pool = [fleet.start("w1", HPOWEB_CHAIN_S="0"), fleet.start("w2", HPOWEB_CHAIN_S="0")]
    fleet.start_beat()
    services.start_study(study)
    for worker in pool:
        fleet.running_attempt(study, worker)
    assert study.trials.filter(state="queued").exists(), "a trial should wait in the broker"

    restart_redis_empty()
    restarted, back = timezone.now(), time.monotonic()

    fleet.wait_for(
        lambda: Attempt.objects.filter(trial__study=study, claimed__gt=restarted).exists(),
        30,
        "a worker to consume again after the restart",
    )
    assert time.monotonic() - back < 30
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=150)
    trials = assert_sound_history(study, branin, fleet, n_trials=8)
    assert all(t.state == "complete" and t.n_attempts == 1 for t in trials), "a running trial was disturbed"
