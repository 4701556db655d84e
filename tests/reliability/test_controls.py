"""Study and trial controls through the API, on real workers: pause, resume, cancel, trial cancel, retry."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from studies.jobs.builtins import branin
from studies.models import Attempt, Study
from tests.reliability.checks import assert_sound_history, job_processes
from tests.reliability.fleet import LOAD_MARGIN_S, TIMINGS

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def api(cast):
    client = APIClient()
    client.force_authenticate(cast["editor"])
    return client


def _no_jobs(fleet) -> bool:
    return not job_processes(fleet.tmp_path, {p.pid for p in fleet.processes})


def test_pause_lets_running_trials_finish_resume_goes_on_and_cancel_stops_jobs_within_seconds(
    make_study, fleet, api
):
    study = make_study(max_trials=8, max_parallel=2, job_settings={"steps": 3, "duration_s": 3.0})
    pool = [fleet.start("w1"), fleet.start("w2")]
    assert api.post(f"/api/studies/{study.pk}/start/").status_code == 200
    running = [fleet.running_attempt(study, w) for w in pool]

    assert api.post(f"/api/studies/{study.pk}/pause/").json()["state"] == "paused"
    for attempt in running:
        fleet.wait_for(
            lambda a=attempt: Attempt.objects.get(pk=a.pk).state != "running", 30, "a trial to end"
        )
        assert Attempt.objects.get(pk=attempt.pk).state == Attempt.State.COMPLETE
    claimed = Attempt.objects.filter(trial__study=study).count()
    time.sleep(2)
    assert Attempt.objects.filter(trial__study=study).count() == claimed, "a trial started while paused"

    assert api.post(f"/api/studies/{study.pk}/resume/").json()["state"] == "running"
    fleet.wait_for(
        lambda: Attempt.objects.filter(trial__study=study).count() > claimed, 30, "trials to go on"
    )
    fleet.running_attempt(study, pool[0])

    asked = time.monotonic()
    assert api.post(f"/api/studies/{study.pk}/cancel/").json()["state"] == "cancelled"
    fleet.wait_for(lambda: _no_jobs(fleet), 15, "the running jobs to stop")
    # a supervisor learns of the cancel at its next heartbeat and kills the job
    assert time.monotonic() - asked < TIMINGS["HEARTBEAT_S"] + LOAD_MARGIN_S
    assert not study.trials.filter(state__in=["queued", "running"]).exists()
    assert_sound_history(study, branin, fleet)


def test_a_running_trial_cancelled_through_the_api_stops_and_a_retry_runs_it_again(make_study, fleet, api):
    study = make_study(max_trials=1, max_parallel=1, job_settings={"steps": 10, "duration_s": 10.0})
    worker = fleet.start("w1")
    api.post(f"/api/studies/{study.pk}/start/")
    first = fleet.running_attempt(study, worker)
    [listed] = api.get(f"/api/studies/{study.pk}/trials/").json()["results"]
    trial_id = listed["id"]
    assert trial_id == first.trial_id
    fleet.wait_for(lambda: not _no_jobs(fleet), 20, "the job to start")

    cancelled = api.post(f"/api/trials/{trial_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    fleet.wait_for(lambda: _no_jobs(fleet), 15, "the cancelled job to stop")
    assert api.post(f"/api/trials/{trial_id}/cancel/").status_code == 409
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=30)

    study.job_settings = {"steps": 2, "duration_s": 0.5}
    study.save(update_fields=["job_settings"])
    retried = api.post(f"/api/trials/{trial_id}/retry/")
    assert retried.status_code == 200 and retried.json()["state"] == "queued"
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=60)

    detail = api.get(f"/api/trials/{trial_id}/").json()
    assert detail["state"] == "complete" and detail["value"] == pytest.approx(branin(detail["params"]))
    assert [(a["number"], a["state"]) for a in detail["attempts"]] == [(1, "cancelled"), (2, "complete")]
    assert detail["attempts"][0]["reason"] == "cancelled by a user" and detail["attempts"][0]["ended"]
    assert_sound_history(study, branin, fleet, n_trials=1)
