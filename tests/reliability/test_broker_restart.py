"""Redis restarted and flushed with trials queued and running, and a worker that is connected but no
longer consumes (PostgreSQL + Redis session only: remote control needs Redis's broadcast)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from hpoweb.celery import app
from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study, WorkerStatus
from studies.services import db_now
from studies.worker_health import worker_health
from tests.reliability.checks import assert_sound_history
from tests.reliability.fleet import TIMINGS
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


def test_a_worker_connected_but_no_longer_consuming_is_flagged_and_runs_trials_again_once_it_consumes(
    make_study, fleet
):
    # celery#8030 leaves a worker alive and connected to a queue it no longer reads; cancelling its
    # consumer puts a real worker in exactly that state.
    study = make_study(max_trials=1, max_parallel=1)
    worker = fleet.start("w1", HPOWEB_CHAIN_S="0")
    fleet.wait_for(lambda: WorkerStatus.objects.filter(name__startswith="w1@").exists(), 60, "w1 to report")
    name = WorkerStatus.objects.get(name__startswith="w1@").name
    assert app.control.cancel_consumer(study.queue, destination=[name], reply=True, timeout=10)

    services.start_study(study)
    services.schedule_trials(study.pk)  # what another worker's finished trial would do
    health = {}

    def flagged():
        health.update((row.worker.name, row) for row in worker_health(db_now()))
        return health[name].health == "not consuming"

    fleet.wait_for(flagged, TIMINGS["GRACE_S"] + 15, "w1 to be flagged as not consuming")
    assert "restart it" in health[name].detail and worker.process.poll() is None
    assert study.trials.get().state == "queued"

    assert app.control.add_consumer(study.queue, destination=[name], reply=True, timeout=10)
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=60)
    assert {row.worker.name: row.health for row in worker_health(db_now())}[name] == "idle"
