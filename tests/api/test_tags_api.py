"""Tags through the API: `GET/PUT /api/studies/{id}/tags/`, editors only, checked by the same rule as
the study page's form, audited, and found again by `?tag=` on the study list."""

from __future__ import annotations

import pytest

from studies.models import AuditEvent
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(make_study):
    study = make_study(name="resnet-sweep")
    study.tags.create(name="kept")
    return study


def _put(user, study, body):
    return token_client(user).put(f"/api/studies/{study.pk}/tags/", body, format="json")


def test_an_editor_replaces_the_tags_and_the_study_list_finds_the_study_by_them(cast, study):
    response = _put(cast["editor"], study, {"tags": ["Baseline", " week-48 ", "baseline"]})
    assert response.status_code == 200 and response.json() == {"tags": ["baseline", "week-48"]}
    assert list(study.tags.values_list("name", flat=True)) == ["baseline", "week-48"]
    event = AuditEvent.objects.get(action="tags", study=study)
    assert event.user == cast["editor"] and event.detail == "baseline, week-48"
    listed = token_client(cast["viewer"]).get("/api/studies/", {"tag": "week-48"}).json()["results"]
    assert [(s["name"], s["tags"]) for s in listed] == [("resnet-sweep", ["baseline", "week-48"])]
    assert (
        token_client(cast["viewer"]).get(f"/api/studies/{study.pk}/tags/").json()["tags"] == listed[0]["tags"]
    )


def test_an_empty_list_removes_every_tag(cast, study):
    assert _put(cast["owner"], study, {"tags": []}).json() == {"tags": []}
    assert not study.tags.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tags": ["good", "<script>"]}, "is not a tag"),
        ({"tags": ["a b"]}, "is not a tag"),
        ({"tags": ["x" * 33]}, "is not a tag"),
        ({"tags": [f"t{i}" for i in range(11)]}, "At most 10 tags per study (11 given)"),
        ({"tags": "baseline"}, "list"),
        ({"tags": [1, {"a": 1}]}, "Not a valid string"),
        ({}, "required"),
    ],
)
def test_a_bad_tag_list_is_a_400_under_tags_and_nothing_changes(cast, study, body, message):
    response = _put(cast["editor"], study, body)
    assert response.status_code == 400 and message in str(response.json()["tags"]), response.json()
    assert list(study.tags.values_list("name", flat=True)) == ["kept"]
    assert not AuditEvent.objects.filter(action="tags").exists()


def test_viewers_read_but_do_not_set_tags_and_strangers_do_neither(cast, study):
    assert token_client(cast["viewer"]).get(f"/api/studies/{study.pk}/tags/").json() == {"tags": ["kept"]}
    for role in ("viewer", "stranger"):
        assert _put(cast[role], study, {"tags": ["mine"]}).status_code == 404
    assert token_client(cast["stranger"]).get(f"/api/studies/{study.pk}/tags/").status_code == 404
    assert list(study.tags.values_list("name", flat=True)) == ["kept"]
