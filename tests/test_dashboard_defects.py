"""The dashboard defects of issue 11, through HTTP: the trial page after a retry, plot CSV cells, the
posterior panel's claims, the live header and study list, and the small things a user saw."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from studies import analysis, services
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "@SUM(4)", "+2+2"]


def _run(study, outcomes: list[Outcome]) -> list:
    """Schedule, claim and finish one trial per outcome through the services; the trials, refreshed."""
    study.set_state("running")
    trials = []
    for outcome in outcomes:
        trial_id = services.schedule_trials(study.pk)[0]
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w"))
        services.record_metric(attempt.pk, 1, 3.0)
        services.finish_attempt(attempt.pk, outcome)
        trials.append(study.trials.get(pk=trial_id))
    return trials


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("automatic", [True, False], ids=["max_retries", "retry-button"])
def test_the_trial_page_shows_a_retried_trial_as_attempt_2_while_it_waits_and_runs(
    client, cast, make_study, automatic
):
    study = make_study(max_trials=1, max_parallel=1, max_retries=1 if automatic else 0)
    (trial,) = _run(study, [Outcome("failed", reason="out of memory")])
    if not automatic:
        assert trial.state == "failed" and services.retry_trial(trial)
    trial.refresh_from_db()
    assert trial.state == "queued"
    page = _page(client, cast["viewer"], trial.get_absolute_url())
    assert "queued for attempt 2" in page and "out of memory" in page

    services.claim_trial(trial.pk, WorkerIdentity.current("w2"))
    page = _page(client, cast["viewer"], trial.get_absolute_url())
    assert "attempt 2" in page and "No steps reported yet" in page
    assert page.count('<span class="state failed">failed</span>') == 1  # attempt 1 stays listed
    assert '<span class="state running">running</span>' in page


def test_plot_csv_downloads_neutralise_cells_a_spreadsheet_would_run(client, cast, make_study):
    study = make_study(
        space={
            "c": {"type": "categorical", "choices": FORMULAS},
            "x": {"type": "float", "low": 0, "high": 1},
        },
        metric="@SUM(4)",
        max_trials=8,
        max_parallel=1,
    )
    _run(study, [Outcome("complete", value=float(i)) for i in range(8)])
    client.force_login(cast["viewer"])
    for kind in ("parallel", "slice"):
        body = client.get(reverse("study-plot-csv", args=[study.pk, kind])).content.decode()
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        assert "'@SUM(4)" in cells, kind
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")], kind
        assert {"'" + f for f in FORMULAS} & set(cells), kind


def _posterior(client, user, study) -> dict:
    client.force_login(user)
    return client.get(reverse("study-plot", args=[study.pk, "posterior"])).json()["figure"]


def _trace_names(figure: dict) -> set[str]:
    return {trace.get("name") for trace in figure["data"]}


@pytest.mark.parametrize("optimizer", ["grid", "tpe", "cmaes"])
def test_the_posterior_panel_of_a_study_not_run_by_a_gp_says_the_gp_is_for_display_only(
    client, cast, make_study, optimizer
):
    study = make_study(optimizer=optimizer, max_trials=8, max_parallel=1)
    _run(study, [Outcome("complete", value=float(i % 3)) for i in range(5)])
    analysis.analyze(study)
    figure = _posterior(client, cast["viewer"], study)
    assert "next suggestion" not in _trace_names(figure)
    assert not figure["layout"]["shapes"] and "yaxis2" not in figure["layout"]
    assert f"fitted for display only: {optimizer} does not use it" in figure["layout"]["title"]["text"]
    page = _page(client, cast["viewer"], study.get_absolute_url())
    assert "GP posterior (fitted for display)" in page and "GP posterior and acquisition" not in page


def test_a_gp_study_shows_its_next_suggestion_only_while_it_will_make_one(client, cast, make_study):
    study = make_study(optimizer="gp", max_trials=8, max_parallel=1)
    _run(study, [Outcome("complete", value=float(i % 3)) for i in range(5)])
    analysis.analyze(study)
    assert "next suggestion" in _trace_names(_posterior(client, cast["viewer"], study))
    services.cancel_study(study)
    figure = _posterior(client, cast["viewer"], study)
    assert "next suggestion" not in _trace_names(figure) and not figure["layout"]["shapes"]


def test_a_pruned_trial_shows_why_it_was_pruned_not_an_error(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    (trial,) = _run(study, [Outcome("pruned", reason="below the median at step 1")])
    page = _page(client, cast["viewer"], trial.get_absolute_url())
    assert "<h2>Pruned</h2>" in page and "<h2>Error</h2>" not in page
    assert "below the median at step 1" in page


def test_counts_of_one_read_in_the_singular(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    _run(study, [Outcome("complete", value=1.0)])
    page = _page(client, cast["viewer"], study.get_absolute_url())
    assert "1 trials" not in page and "1 trial," in page and "1 trial<" in page
