"""The public JSON API: tokens, bodies validated field by field, 404 for unknown or hidden ids."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from studies.models import ApiToken, Study
from tests.helpers import STUDY_BODY

pytestmark = pytest.mark.django_db


def test_create_a_study_and_read_it_back(api):
    response = api.post("/api/studies/", STUDY_BODY, format="json")
    assert response.status_code == 201, response.json()
    study_id = response.json()["id"]
    detail = api.get(f"/api/studies/{study_id}/").json()
    assert detail["state"] == "draft" and detail["n_complete"] == 0 and detail["best"] is None
    assert detail["space"]["x1"] == {"type": "float", "low": -5.0, "high": 10.0, "log": False}
    assert api.post(f"/api/studies/{study_id}/start/").json()["state"] == "running"
    assert api.post(f"/api/studies/{study_id}/pause/").json()["state"] == "paused"
    assert api.post(f"/api/studies/{study_id}/pause/").status_code == 409


def test_start_true_starts_at_once(api):
    response = api.post("/api/studies/", {**STUDY_BODY, "start": True}, format="json")
    assert response.json()["state"] == "running"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"space": {"lr": {"type": "float", "low": 0, "high": 1, "log": True}}}, "space.lr.low"),
        ({"space": {}}, "space"),
        ({"job": "no-such-job"}, "job"),
        ({"job_settings": {"nope": 1}}, "job_settings.nope"),
        ({"optimizer": "magic"}, "optimizer"),
        (
            {"optimizer": "grid", "optimizer_settings": {"grid_points": "many"}},
            "optimizer_settings.grid_points",
        ),
        ({"max_trials": 0}, "max_trials"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_a_bad_body_gets_400_naming_the_field_and_stores_nothing(api, change, field):
    response = api.post("/api/studies/", {**STUDY_BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Study.objects.exists()


def test_a_key_given_twice_is_a_400_not_the_last_one_silently(api):
    """A parameter named twice in `space` (JSON allows it; Python's json keeps the last)."""
    body = '{"name": "twice", "job": "branin", "space": {"x1": {"type": "float", "low": 0, "high": 1}, '
    body += '"x2": {"type": "float", "low": 0, "high": 1}, "x1": {"type": "int", "low": 0, "high": 9}}}'
    response = api.post("/api/studies/", body, content_type="application/json")
    assert response.status_code == 400 and "'x1'" in response.json()["detail"]
    assert not Study.objects.exists()


def test_the_space_error_names_the_parameter(api):
    space = {"lr": {"type": "float", "low": 0, "high": 1, "log": True}}
    response = api.post("/api/studies/", {**STUDY_BODY, "space": space}, format="json")
    assert "'lr'" in str(response.json()["space.lr.low"])


def test_no_or_bad_credentials_are_refused(cast):
    client = APIClient()
    assert client.get("/api/studies/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get("/api/studies/").status_code == 401
    token, key = ApiToken.issue(cast["editor"])
    ApiToken.objects.filter(pk=token.pk).update(revoked="2026-01-01T00:00:00Z")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/studies/").status_code == 401


def test_unknown_and_hidden_ids_are_404(api, cast, make_study):
    assert api.get("/api/studies/999999/").status_code == 404
    _token, key = ApiToken.issue(cast["stranger"])
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    study = make_study()
    assert stranger.get(f"/api/studies/{study.pk}/").status_code == 404
    assert stranger.get(f"/api/studies/{study.pk}/trials/").status_code == 404
    assert stranger.post(f"/api/studies/{study.pk}/start/").status_code == 404


def test_trials_are_paginated(api, make_study):
    from studies import services

    study = make_study(max_trials=3, max_parallel=3)
    study.set_state("running")
    services.schedule_trials(study.pk)
    body = api.get(f"/api/studies/{study.pk}/trials/").json()
    assert body["count"] == 3 and body["next"] is None
    assert set(body["results"][0]) >= {"number", "state", "params", "value", "started", "finished"}


def test_the_openapi_schema_is_served(api):
    response = api.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/studies/{study_id}/trials/" in response.content.decode()


def test_create_token_prints_a_working_key(cast):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_token", "viewer", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    assert client.get("/api/studies/").status_code == 200


def test_the_study_list_costs_the_same_queries_for_three_studies_as_for_one(
    api, make_study, django_assert_max_num_queries
):
    from studies import services
    from studies.services import Outcome, WorkerIdentity

    def finish_one(study, value):
        study.set_state("running")
        [trial_id] = services.schedule_trials(study.pk)[:1]
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("t"))
        services.finish_attempt(attempt.pk, Outcome("complete", value=value), schedule=False)

    finish_one(make_study(name="one", max_trials=3, max_parallel=1), 4.0)
    with django_assert_max_num_queries(12) as one:
        api.get("/api/studies/")
    maximize = make_study(name="two", direction="maximize", max_trials=3, max_parallel=1)
    finish_one(maximize, 7.0)
    make_study(name="three")
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = api.get("/api/studies/").json()
    best = {s["name"]: s["best"] for s in body["results"]}
    assert best["one"]["value"] == 4.0 and best["two"]["value"] == 7.0 and best["three"] is None
    assert {s["name"]: s["n_complete"] for s in body["results"]} == {"one": 1, "two": 1, "three": 0}
