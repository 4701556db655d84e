"""PostgreSQL restarted briefly (PostgreSQL + Redis session only): no attempt fails, the web answers 503."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study
from studies.services import db_now
from studies.worker_health import worker_health
from tests.reliability.checks import assert_sound_history
from tests.reliability.fleet import TIMINGS
from tests.reliability.outages import start_postgres, stop_postgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("services_session"),
]


def test_a_brief_database_outage_fails_no_attempt_and_the_web_answers_503_json_until_it_heals(
    make_study, fleet, cast, client
):
    study = make_study(
        max_trials=6, max_parallel=2, max_retries=0, job_settings={"steps": 6, "duration_s": 6.0}
    )
    pool = [fleet.start("w1"), fleet.start("w2")]
    fleet.start_beat()
    client.force_login(cast["owner"])
    services.start_study(study)
    for worker in pool:
        fleet.running_attempt(study, worker)

    stop_postgres()
    try:
        connection.close()
        for url in ("/api/studies/", f"/studies/{study.pk}/"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response.json()["error"].startswith("database unavailable")
        time.sleep(3 * TIMINGS["HEARTBEAT_S"])  # heartbeats fail meanwhile; the reaper must not judge them
    finally:
        start_postgres()
    connection.close()

    assert client.get(f"/api/studies/{study.pk}/").status_code == 200
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=150)
    assert not Attempt.objects.filter(trial__study=study).exclude(state=Attempt.State.COMPLETE).exists()
    health = {row.worker.name.split("@")[0]: row.health for row in worker_health(db_now())}
    assert health == {"w1": "idle", "w2": "idle"}, "a worker's status thread did not survive the outage"
    assert_sound_history(study, branin, fleet, n_trials=6)
