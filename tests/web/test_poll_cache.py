"""The study page's polls are shared by its viewers for `POLL_CACHE_S` seconds: the second viewer's
poll reads no trial, a stranger still gets 404, and an editor and a viewer each get their own header."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studies.models import Membership
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


@pytest.mark.parametrize("who", ["viewer", "staff"])
def test_a_shared_poll_asks_the_database_only_who_is_asking_and_their_role(make_study, cast, shared, who):
    """Fifty viewers are fifty requests a second: a shared answer reads the session from the cache
    and checks the study and the role in one query (docs/benchmarks.md, "Many viewers")."""
    study = run_trials(make_study(max_trials=4), [3.0])
    client = _client(cast[who])
    for url in _polls(study)[who == "staff" :]:  # staff may edit: their header is their own
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        tables = [q["sql"].split(" FROM ")[1].split()[0].strip('"') for q in queries]
        assert tables == ["auth_user", "studies_membership" if who == "viewer" else "studies_study"], url


def test_a_removed_member_gets_404_at_once_even_from_a_shared_answer(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0])
    client = _client(cast["viewer"])
    for url in _polls(study):
        assert client.get(url).status_code == 200
    Membership.objects.filter(user=cast["viewer"]).delete()
    for url in _polls(study):
        assert client.get(url).status_code == 404, url


def test_while_one_viewer_renders_a_stale_answer_again_the_others_get_it_without_waiting(make_study, cast):
    """When an answer grows old, one viewer renders it again while the others are given the old one:
    fifty viewers arriving during a slow render must not each render it too (docs/benchmarks.md)."""
    study = run_trials(make_study(max_trials=4), [3.0, 1.0])
    url = reverse("study-leaderboard", args=[study.pk])
    first, second = _client(cast["viewer"]), _client(cast["viewer"])
    cache.clear()
    with override_settings(POLL_CACHE_S=0.2):
        kept = first.get(url).content
        time.sleep(0.3)
        during = {}

        def meanwhile(sender, **kwargs):  # the first viewer's render of the stale answer under way
            if not during:
                during["answer"] = None
                with CaptureQueriesContext(connection) as queries:
                    during["answer"] = second.get(url)
                during["read"] = [q["sql"] for q in queries if "studies_trial" in q["sql"]]

        template_rendered.connect(meanwhile)
        try:
            assert first.get(url).status_code == 200
        finally:
            template_rendered.disconnect(meanwhile)
    cache.clear()
    assert during["answer"].status_code == 200 and during["answer"].content == kept
    assert during["read"] == []
