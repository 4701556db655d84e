"""The study page's polls are shared by its viewers for `POLL_CACHE_S` seconds: the second viewer's
poll reads no trial, a stranger still gets 404, and an editor and a viewer each get their own header.
The header and the leaderboard are one poll (study-live), each part shared on its own; a trial page's
poll (trial-live) is shared the same way."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studies.models import Membership
from studies.web.poll_cache import answer_key
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


def _polls(study, *, headers: bool = True) -> list[str]:
    """The study page's polls and its first trial's page's, with or without those that hold
    controls (the header, the trial's buttons), which an editor gets for themselves alone."""
    with_controls = [reverse("study-live", args=[study.pk]), reverse("trial-live", args=[study.pk, 1])]
    return with_controls * headers + [reverse("study-history", args=[study.pk])]


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


def test_an_editor_and_a_viewer_each_get_their_own_header(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0])
    url = reverse("study-live", args=[study.pk])
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
    for url in _polls(study, headers=who == "viewer"):  # staff may edit: their header is their own
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
    url = reverse("study-live", args=[study.pk])
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


def test_the_viewer_who_finds_an_answer_stale_is_given_it_at_once_and_it_is_fresh_for_the_next(
    make_study, cast
):
    """The render of a stale answer comes after its viewer's response: on a busy server the viewer
    who rendered it waited for the render, the slowest refreshes of all (docs/benchmarks.md)."""
    study = run_trials(make_study(max_trials=4), [3.0, 1.0])
    url = reverse("study-live", args=[study.pk])
    first, second = _client(cast["viewer"]), _client(cast["viewer"])
    cache.clear()
    with override_settings(POLL_CACHE_S=0.2):
        old = first.get(url).content
    run_trials(study, [0.5])
    time.sleep(0.3)
    with override_settings(POLL_CACHE_S=60):  # the answer rendered again stays fresh, however slow
        stale = first.get(url)
        with CaptureQueriesContext(connection) as queries:
            fresh = second.get(url)
    cache.clear()
    assert stale.status_code == 200 and stale.content == old
    assert fresh.status_code == 200 and fresh.content != old
    assert not [q["sql"] for q in queries if "studies_trial" in q["sql"]], "rendered by the first"


def test_viewers_arriving_while_the_first_answer_is_rendered_wait_for_it_instead_of_rendering_it(
    make_study, cast, shared
):
    """Fifty viewers opening a page together each rendered its first answers, all at once."""
    study = run_trials(make_study(max_trials=4), [3.0, 1.0])
    url = reverse("study-live", args=[study.pk])
    header = answer_key("live-header", study.pk, False, url)  # a viewer, who may not edit
    board = answer_key("live-board", study.pk, None, url)
    for key in (header, board):
        assert cache.add(key + ":render", 1, 30)  # another viewer's render under way

    def theirs_kept():
        time.sleep(0.3)
        for key, part in ((header, b"their header"), (board, b"their board")):
            cache.set(key, (time.time() + 60, part, "text/html"), 60)
            cache.delete(key + ":render")

    other = threading.Thread(target=theirs_kept)
    other.start()
    with CaptureQueriesContext(connection) as queries:
        answer = _client(cast["viewer"]).get(url)
    other.join()
    assert answer.status_code == 200 and answer.content == b"their headertheir board"
    assert not [q["sql"] for q in queries if "studies_trial" in q["sql"]]


def test_the_page_polls_its_header_and_leaderboard_in_one_request_that_keeps_the_leaderboards_query(
    make_study, cast, shared
):
    """Fifty viewers are fifty requests a second per poll: the header's poll brings the leaderboard
    for the page's query too, swapped in out of band, and the leaderboard no longer polls alone."""
    study = run_trials(make_study(max_trials=4), [3.0, 1.0])
    client = _client(cast["viewer"])
    page = client.get(study.get_absolute_url(), {"sort": "number"}).content.decode()
    live = reverse("study-live", args=[study.pk]) + "?sort=number"
    assert f'<div id="study-header" hx-get="{live}" hx-trigger="every 3s"' in page
    assert page.count('hx-trigger="every 3s"') == 1
    answer = client.get(live).content.decode()
    header, board = answer.split('<div id="leaderboard" hx-swap-oob="true">')
    assert f'<div id="study-header" hx-get="{live}"' in header, "the header polls on with the query"
    first, second = (board.index(f'trials/{n}/">{n}</a>') for n in (1, 2))
    assert first < second, "the rows in the page's order"
    descending = client.get(reverse("study-live", args=[study.pk]) + "?sort=-number").content.decode()
    first, second = (descending.index(f'trials/{n}/">{n}</a>') for n in (1, 2))
    assert second < first


def test_an_editors_live_poll_shares_the_leaderboard_but_not_their_header(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0, 1.0])
    live = reverse("study-live", args=[study.pk])
    assert _client(cast["owner"]).get(live).status_code == 200
    editor = _client(cast["editor"])
    response = editor.get(live)
    rendered = [template.name for template in response.templates]
    assert "studies/_leaderboard_rows.html" not in rendered, "the leaderboard shared"
    assert "studies/_study_header.html" in rendered, "the header rendered for them"
    answer = response.content.decode()
    assert '<div id="leaderboard" hx-swap-oob="true">' in answer
    token = answer.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    pause = reverse("study-action", args=[study.pk, "pause"])
    assert editor.post(pause, {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_live_poll_with_a_filter_it_cannot_read_leaves_the_leaderboard_as_it_is(make_study, cast, shared):
    study = run_trials(make_study(max_trials=4), [3.0])
    answer = _client(cast["viewer"]).get(reverse("study-live", args=[study.pk]), {"filter": "lr <"})
    assert answer.status_code == 200
    assert 'id="study-header"' in answer.content.decode()
    assert 'id="leaderboard"' not in answer.content.decode()
