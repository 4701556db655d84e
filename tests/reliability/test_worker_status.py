"""Real workers keep their status rows: ready, lost when killed, gone after a clean stop."""

from __future__ import annotations

import signal

import pytest

from studies import services
from studies.models import WorkerStatus
from studies.services import db_now
from studies.worker_health import worker_health
from tests.reliability.fleet import LOAD_MARGIN_S, TIMINGS

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _health() -> dict[str, str]:
    return {row.worker.name.split("@")[0]: row.health for row in worker_health(db_now())}


def test_workers_report_themselves_and_the_page_flags_a_killed_one_as_lost(make_study, fleet):
    study = make_study(max_trials=1, max_parallel=1, job_settings={"steps": 20, "duration_s": 20.0})
    busy, calm = fleet.start("w1"), fleet.start("w2", queues="other")
    fleet.wait_for(lambda: WorkerStatus.objects.count() == 2, 60, "both workers to report")
    row = WorkerStatus.objects.get(name__startswith="w2@")
    assert row.pid == calm.pid and row.queues == "other" and row.host

    services.start_study(study)
    attempt = fleet.running_attempt(study, busy)
    fleet.wait_for(lambda: _health().get("w1") == "busy", 10, "w1 to show as busy")
    assert WorkerStatus.objects.get(name__startswith="w1@").current_trial_id == attempt.trial_id

    busy.signal(signal.SIGKILL)
    lost_within = TIMINGS["GRACE_S"] + TIMINGS["HEARTBEAT_S"] + LOAD_MARGIN_S
    fleet.wait_for(lambda: _health().get("w1") == "lost", lost_within, "w1 to show as lost")
    assert _health()["w2"] == "idle"

    calm.signal(signal.SIGTERM)
    calm.process.wait(timeout=30)
    assert not WorkerStatus.objects.filter(name__startswith="w2@").exists()
