"""The study page's polls are shared by its viewers for `POLL_CACHE_S` seconds: the second viewer's
poll reads no trial, a stranger still gets 404, and an editor and a viewer each get their own header."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers import run_trials

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared():
    cache.clear()
    with override_settings(POLL_CACHE_S=60):
        yield
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _polls(study) -> list[str]:
    return [
        reverse("study-header", args=[study.pk]),
        reverse("study-leaderboard", args=[study.pk]),
        reverse("study-history", args=[study.pk]),
    ]


def test_a_second_viewers_poll_reads_no_trial(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0, 1.0])
    first, second = _client(cast["viewer"]), _client(cast["viewer"])
    for url in _polls(study):
        answer = first.get(url)
        with CaptureQueriesContext(connection) as queries:
            again = second.get(url)
        assert again.status_code == 200 and again.content == answer.content, url
        read = [
            q["sql"] for q in queries if "studies_trial" in q["sql"] or "studies_studysummary" in q["sql"]
        ]
        assert read == [], url


def test_a_stranger_gets_no_shared_answer(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0])
    for url in _polls(study):
        assert _client(cast["viewer"]).get(url).status_code == 200
        assert _client(cast["stranger"]).get(url).status_code == 404


def test_an_editors_header_holds_their_own_csrf_token_and_is_never_shared(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0])
    url = reverse("study-header", args=[study.pk])
    owner, editor = _client(cast["owner"]), _client(cast["editor"])
    assert "csrfmiddlewaretoken" in owner.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        as_editor = editor.get(url)
    assert any("studies_studysummary" in q["sql"] for q in queries)  # rendered for this editor
    token = as_editor.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert (
        editor.post(
            reverse("study-action", args=[study.pk, "pause"]), {"csrfmiddlewaretoken": token}
        ).status_code
        == 302
    )


def test_an_editor_and_a_viewer_each_get_their_own_header(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0])
    url = reverse("study-header", args=[study.pk])
    as_viewer = _client(cast["viewer"]).get(url).content
    as_editor = _client(cast["editor"]).get(url).content
    assert as_viewer != as_editor
    assert _client(cast["viewer"]).get(url).content == as_viewer
