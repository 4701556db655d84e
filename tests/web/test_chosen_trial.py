"""A team member marks a trial of the front as the study's chosen one, with a note, on the trial
page or through the API; the study page and the study list show it, and the audit log records it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.models import AuditEvent
from tests.helpers import two_objective_study

pytestmark = pytest.mark.django_db

RESULTS = [
    {"error": 0.2, "latency": 5.0, "memory": 1.0},
    {"error": 0.4, "latency": 2.0, "memory": 1.0},
    {"error": 0.1, "latency": 1.0, "memory": 9.0},  # breaks the memory limit
]


def test_an_editor_chooses_a_trial_with_a_note_and_the_study_list_shows_it(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["editor"])
    trial_page = client.get(reverse("trial-detail", args=[study.pk, 2])).content.decode()
    assert 'id="choose"' in trial_page

    response = client.post(reverse("study-chosen", args=[study.pk]), {"trial": 2, "note": "fast <enough>"})

    assert response.status_code == 302
    study.refresh_from_db()
    assert study.chosen_trial.number == 2 and study.chosen_note == "fast <enough>"
    assert study.chosen_by == cast["editor"]
    event = AuditEvent.objects.get(action="choose", study=study)
    assert event.user == cast["editor"] and event.detail == "trial 2: fast <enough>"
    header = client.get(study.get_absolute_url()).content.decode()
    assert 'id="chosen-trial"' in header and "fast &lt;enough&gt;" in header
    listing = client.get(reverse("study-list")).content.decode()
    assert f'href="/studies/{study.pk}/trials/2/" title="fast &lt;enough&gt;">#2</a>' in listing


def test_a_trial_that_breaks_a_constraint_or_has_not_completed_cannot_be_chosen(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["editor"])

    response = client.post(reverse("study-chosen", args=[study.pk]), {"trial": 3}, follow=True)

    assert "breaks the study&#x27;s constraints" in response.content.decode()
    study.refresh_from_db()
    assert study.chosen_trial is None and not AuditEvent.objects.filter(action="choose").exists()
    assert 'id="choose"' not in client.get(reverse("trial-detail", args=[study.pk, 3])).content.decode()


def test_a_viewer_cannot_choose_and_a_stranger_learns_nothing(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    for who in ("viewer", "stranger"):
        client.force_login(cast[who])
        assert client.post(reverse("study-chosen", args=[study.pk]), {"trial": 1}).status_code == 404
    assert 'id="choose"' not in client.get(reverse("trial-detail", args=[study.pk, 1])).content.decode()
    study.refresh_from_db()
    assert study.chosen_trial is None


def test_clearing_the_choice_from_the_study_page(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["owner"])
    client.post(reverse("study-chosen", args=[study.pk]), {"trial": 1, "note": "n"})

    client.post(reverse("study-chosen", args=[study.pk]), {"trial": ""})

    study.refresh_from_db()
    assert study.chosen_trial is None and study.chosen_note == ""
    assert AuditEvent.objects.filter(action="choose", detail="cleared").exists()


def test_the_api_chooses_reads_back_and_refuses_a_bad_trial(api, make_study):
    study = two_objective_study(make_study, RESULTS)
    url = reverse("api-study-chosen", args=[study.pk])

    body = api.post(url, {"trial": 1, "note": "balanced"}, format="json").json()

    assert body["chosen"]["number"] == 1 and body["chosen"]["note"] == "balanced"
    assert body["chosen"]["by"] == "editor"
    listed = api.get(reverse("api-studies")).json()["results"][0]
    assert listed["chosen"]["number"] == 1
    for bad, message in ((3, "constraints"), (99, "no trial 99"), ("x", "integer")):
        response = api.post(url, {"trial": bad}, format="json")
        assert response.status_code == 400 and message in str(response.json()["trial"]), bad
    assert api.get(reverse("api-study", args=[study.pk])).json()["chosen"]["number"] == 1
    assert api.post(url, {"trial": None}, format="json").json()["chosen"] is None
