"""A trial page refreshes itself while the trial is queued or running (its state, result, learning
curve and attempts), through one poll that stops once the trial finishes, is bounded in queries and
is hidden from strangers as the page is."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from studies import services
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _running_trial(make_study):
    """A trial a worker claimed; its attempt."""
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    (trial_id,) = services.schedule_trials(study.pk)
    return services.claim_trial(trial_id, WorkerIdentity.current("gpu1"))


def _curve_steps(html: str) -> list:
    block = html.split('<script id="curve-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    figure = json.loads(block)
    return figure["data"][0]["x"] if figure["data"] else []


def test_a_running_trial_page_polls_and_shows_new_steps_and_its_end_without_a_reload(cast, make_study):
    attempt = _running_trial(make_study)
    trial, viewer = attempt.trial, _client(cast["viewer"])
    services.record_metric(attempt.pk, 1, 4.0)
    live = reverse("trial-live", args=[trial.study_id, trial.number])
    page = viewer.get(trial.get_absolute_url()).content.decode()
    assert f'<div id="trial-live" hx-get="{live}" hx-trigger="every 3s" hx-swap="outerHTML">' in page
    assert _curve_steps(page) == [1]

    services.record_metric(attempt.pk, 2, 3.0)
    answer = viewer.get(live).content.decode()
    assert _curve_steps(answer) == [1, 2] and '<span class="state running">running</span>' in answer
    assert f'hx-get="{live}"' in answer, "it polls on while the trial runs"

    services.finish_attempt(attempt.pk, Outcome("complete", value=2.5))
    answer = viewer.get(live).content.decode()
    assert '<span class="state complete">complete</span>' in answer and "<dd>2.5</dd>" in answer
    assert "hx-get" not in answer, "a finished trial stops polling"
    assert "hx-get" not in viewer.get(trial.get_absolute_url()).content.decode()


def test_a_queued_trial_page_polls_until_a_worker_starts_it(cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    (trial_id,) = services.schedule_trials(study.pk)
    trial = study.trials.get(pk=trial_id)
    live = reverse("trial-live", args=[study.pk, trial.number])
    assert f'hx-get="{live}"' in _client(cast["viewer"]).get(trial.get_absolute_url()).content.decode()
    services.claim_trial(trial_id, WorkerIdentity.current("gpu1"))
    answer = _client(cast["viewer"]).get(live).content.decode()
    assert '<span class="state running">running</span>' in answer and "gpu1" in answer


def test_a_strangers_trial_poll_is_a_404_and_an_editors_keeps_their_controls(cast, make_study):
    attempt = _running_trial(make_study)
    live = reverse("trial-live", args=[attempt.trial.study_id, attempt.trial.number])
    assert _client(cast["stranger"]).get(live).status_code == 404
    assert _client(cast["viewer"]).get(live + "x").status_code == 404
    assert "Cancel trial" not in _client(cast["viewer"]).get(live).content.decode()
    assert "Cancel trial" in _client(cast["editor"]).get(live).content.decode()


def test_the_trial_poll_makes_as_few_queries_as_the_page_at_any_number_of_steps(
    cast, make_study, django_assert_max_num_queries
):
    attempt = _running_trial(make_study)
    live = reverse("trial-live", args=[attempt.trial.study_id, attempt.trial.number])
    viewer = _client(cast["viewer"])
    counts = []
    for steps in (1, 200):
        for step in range(steps):
            services.record_metric(attempt.pk, step, float(step))
        viewer.get(live)  # warm-up
        with django_assert_max_num_queries(10) as queries:
            assert viewer.get(live).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_poll_whose_trial_is_gone_or_whose_session_ended_tells_the_page_to_reload(cast, make_study):
    """htmx leaves a 404 unswapped and polls it again every 3 s for as long as the tab is open, and it
    swapped the login form it followed a redirect to into the page; reloaded, the page shows the 404
    page or the login page with the way back."""
    attempt = _running_trial(make_study)
    url = reverse("trial-live", args=[attempt.trial.study_id, attempt.trial.number])
    poll = {"HTTP_HX_REQUEST": "true"}

    stranger = _client(cast["stranger"]).get(url, **poll)
    logged_out = Client().get(url, **poll)

    assert (stranger.status_code, stranger["HX-Refresh"]) == (404, "true")
    assert (logged_out.status_code, logged_out["HX-Refresh"]) == (204, "true")
    page = Client().get(url)  # not htmx: as before
    assert page.status_code == 302 and "HX-Refresh" not in page
