"""The ask/tell API for external workers: claims, idempotent repeats, conflicts and fencing (HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from studies import services
from studies.jobs.builtins import SPACES
from studies.models import Attempt, Study, Trial
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def external_study(make_study):
    study = make_study(name="ext", job="external", space=SPACES["branin"], max_trials=3, max_parallel=2)
    services.start_study(study)
    return study


def _ask(api, study, **body):
    return api.post(f"/api/studies/{study.pk}/ask/", body, format="json")


def _post(api, trial_id, route, **body):
    return api.post(f"/api/trials/{trial_id}/{route}/", body, format="json")


def test_ask_claims_queued_trials_up_to_max_parallel_then_answers_204(api, external_study):
    first, second = _ask(api, external_study).json(), _ask(api, external_study).json()

    assert {first["number"], second["number"]} == {1, 2}
    assert set(first) == {"trial_id", "attempt_id", "number", "params", "heartbeat_s"}
    assert Trial.objects.get(pk=first["trial_id"]).state == Trial.State.RUNNING
    assert _ask(api, external_study).status_code == 204


def test_a_retried_ask_with_the_same_request_id_returns_the_same_claim(api, external_study):
    one = _ask(api, external_study, worker="gpu1", request_id="abc").json()
    again = _ask(api, external_study, worker="gpu1", request_id="abc").json()

    assert one == again
    assert Attempt.objects.count() == 1


def test_a_study_run_by_hpoweb_workers_hands_nothing_to_external_ones(api, make_study):
    study = make_study(name="celery", max_trials=2)
    services.start_study(study)
    assert _ask(api, study).status_code == 409


def test_report_is_idempotent_and_a_different_value_for_a_reported_step_conflicts(api, external_study):
    handout = _ask(api, external_study).json()
    trial_id, attempt_id = handout["trial_id"], handout["attempt_id"]

    first = _post(api, trial_id, "report", attempt_id=attempt_id, step=1, value=0.5)
    again = _post(api, trial_id, "report", attempt_id=attempt_id, step=1, value=0.5)
    other = _post(api, trial_id, "report", attempt_id=attempt_id, step=1, value=0.7)

    assert first.status_code == again.status_code == 200 and first.json()["prune"] is False
    assert other.status_code == 409 and "reported as 0.5" in other.json()["error"]
    assert Trial.objects.get(pk=trial_id).curve() == [(1, 0.5)]
    assert _post(api, trial_id, "heartbeat", attempt_id=attempt_id).status_code == 200


def test_tell_completes_once_a_repeat_is_accepted_and_a_contradiction_conflicts(api, external_study):
    handout = _ask(api, external_study).json()
    trial_id, attempt_id = handout["trial_id"], handout["attempt_id"]

    assert _post(api, trial_id, "tell", attempt_id=attempt_id, value=1.25).status_code == 200
    assert _post(api, trial_id, "tell", attempt_id=attempt_id, value=1.25).status_code == 200
    assert _post(api, trial_id, "tell", attempt_id=attempt_id, value=9.0).status_code == 409
    assert _post(api, trial_id, "tell", attempt_id=attempt_id, state="failed", error="x").status_code == 409
    trial = Trial.objects.get(pk=trial_id)
    assert trial.state == Trial.State.COMPLETE and trial.value == 1.25
    assert _post(api, trial_id, "report", attempt_id=attempt_id, step=9, value=1.0).status_code == 409
    assert _post(api, trial_id, "heartbeat", attempt_id=attempt_id).status_code == 409


def test_a_reaped_attempt_is_fenced_out_and_its_trial_is_handed_out_again(api, external_study):
    handout = _ask(api, external_study, worker="lost").json()
    trial_id, old = handout["trial_id"], handout["attempt_id"]
    _ask(api, external_study)  # fill the second slot, so the retry is the only queued trial
    Attempt.objects.filter(pk=old).update(heartbeat=services.db_now() - timedelta(seconds=30))

    assert services.reap_stale_attempts(grace_s=5) == 1
    retry = _ask(api, external_study).json()

    assert retry["trial_id"] == trial_id and retry["attempt_id"] != old
    assert _post(api, trial_id, "report", attempt_id=old, step=1, value=0.1).status_code == 409
    assert _post(api, trial_id, "tell", attempt_id=old, value=0.1).status_code == 409
    assert _post(api, trial_id, "tell", attempt_id=retry["attempt_id"], value=0.2).status_code == 200
    assert Trial.objects.get(pk=trial_id).value == 0.2


def test_tell_failed_and_pruned_end_the_trial_with_the_reason(api, external_study):
    failed, pruned = _ask(api, external_study).json(), _ask(api, external_study).json()
    Study.objects.filter(pk=external_study.pk).update(max_retries=0)

    failed_id, pruned_id = failed["trial_id"], pruned["trial_id"]
    _post(api, failed_id, "tell", attempt_id=failed["attempt_id"], state="failed", error="OOM on gpu1")
    _post(api, pruned_id, "report", attempt_id=pruned["attempt_id"], step=1, value=3.0)
    _post(api, pruned_id, "tell", attempt_id=pruned["attempt_id"], state="pruned", error="ASHA rung 0")

    assert Trial.objects.get(pk=failed["trial_id"]).error.endswith("OOM on gpu1")
    trial = Trial.objects.get(pk=pruned["trial_id"])
    assert (trial.state, trial.value, trial.error) == (Trial.State.PRUNED, 3.0, "ASHA rung 0")


def test_bad_bodies_are_400_with_the_field_named(api, external_study):
    handout = _ask(api, external_study).json()
    trial_id, attempt_id = handout["trial_id"], handout["attempt_id"]
    bad_value = _post(api, trial_id, "report", attempt_id=attempt_id, step=1, value="NaN")
    no_value = _post(api, trial_id, "tell", attempt_id=attempt_id)
    true_value = _post(api, trial_id, "tell", attempt_id=attempt_id, value=True)
    assert bad_value.status_code == 400 and "value" in bad_value.json()
    assert true_value.status_code == 400 and "value" in true_value.json()
    assert no_value.status_code == 400 and "value" in no_value.json()


def test_viewers_and_strangers_cannot_ask_or_tell(cast, external_study, api):
    handout = _ask(api, external_study).json()
    for who, status in (("viewer", 404), ("stranger", 404)):
        other = token_client(cast[who])
        assert _ask(other, external_study).status_code == status
        tell = _post(other, handout["trial_id"], "tell", attempt_id=handout["attempt_id"], value=1.0)
        assert tell.status_code == status
    assert APIClient().post(f"/api/studies/{external_study.pk}/ask/").status_code in (401, 403)
    assert Trial.objects.get(pk=handout["trial_id"]).state == Trial.State.RUNNING


def test_the_routes_are_in_the_openapi_schema(api):
    schema = api.get("/api/schema/").content.decode()
    for route in (
        "studies/{study_id}/ask/",
        "trials/{trial_id}/report/",
        "trials/{trial_id}/heartbeat/",
        "trials/{trial_id}/tell/",
    ):
        assert f"/api/{route}" in schema
