"""PostgreSQL restarted briefly (PostgreSQL + Redis session only): no attempt fails, the web answers 503,
and a trial whose message a worker took during the outage runs when the database is back."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from hpoweb.celery import app
from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study
from studies.services import db_now
from studies.worker_health import worker_health
from tests.reliability.checks import assert_sound_history
from tests.reliability.fleet import LOAD_MARGIN_S, TIMINGS
from tests.reliability.outages import start_postgres, stop_postgres
from workers.tasks import RETRY_CAP_S

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


def _waiting(queue: str) -> int:
    """Messages waiting on `queue` in the real broker (Redis drops a queue's key once it is empty)."""
    with app.connection_for_read() as conn:
        try:
            return conn.SimpleQueue(queue).qsize()
        except conn.channel_errors:
            return 0


def _taken_during_an_outage(fleet, queue: str) -> None:
    """PostgreSQL stops, a worker of `queue` starts and takes every message waiting there, and its
    tasks meet the outage (at once and retried); then PostgreSQL is back. No beat runs, so no
    reconciler: only the messages themselves can bring the work back."""
    stop_postgres()
    try:
        fleet.start("w1", queues=queue)
        fleet.wait_for(lambda: _waiting(queue) == 0, 60, "w1 to take the messages")
        time.sleep(3 * TIMINGS["HEARTBEAT_S"])
    finally:
        start_postgres()
    connection.close()


# The messages come back at most RETRY_CAP_S apart; then a claim, a 0.2 s job and a finish each.
BACK_WITHIN_S = RETRY_CAP_S + 2 * LOAD_MARGIN_S + 10


def test_a_trials_message_taken_while_the_database_is_down_runs_when_it_returns(make_study, fleet):
    study = make_study(max_trials=2, max_parallel=2, queue="outage", job_settings={"duration_s": 0.2})
    services.start_study(study)
    services.schedule_trials(study.pk)  # both trials published on a queue no worker takes yet
    assert study.trials.count() == 2

    _taken_during_an_outage(fleet, "outage")
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=BACK_WITHIN_S)
    assert not Attempt.objects.filter(trial__study=study).exclude(state=Attempt.State.COMPLETE).exists()
    assert_sound_history(study, branin, fleet, n_trials=2)


def test_a_scheduling_step_asked_for_while_the_database_is_down_runs_when_it_returns(make_study, fleet):
    study = make_study(max_trials=2, max_parallel=2, queue="outage", job_settings={"duration_s": 0.2})
    services.start_study(study)  # its first step is a message on a queue no worker takes yet
    assert study.trials.count() == 0 and _waiting("outage") == 1

    _taken_during_an_outage(fleet, "outage")
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=BACK_WITHIN_S)
    assert_sound_history(study, branin, fleet, n_trials=2)
