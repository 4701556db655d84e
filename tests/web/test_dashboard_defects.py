"""The dashboard defects of issue 11, through HTTP: the trial page after a retry, plot CSV cells, the
posterior panel's claims, the live header and study list, and the small things a user saw."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from studies import services
from studies.models import Trial
from studies.plots import analysis, analysis_figures, figures
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "@SUM(4)", "+2+2"]


def _run(study, outcomes: list[Outcome]) -> list:
    """Schedule, claim and finish one trial per outcome through the services; the trials, refreshed."""
    study.set_state("running")
    trials = []
    for outcome in outcomes:
        services.schedule_trials(study.pk)
        trial_id = study.trials.filter(state="queued").order_by("number").values_list("pk", flat=True)[0]
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w"))
        services.record_metric(attempt.pk, 1, 3.0)
        services.finish_attempt(attempt.pk, outcome)
        trials.append(trial_id)
    services.schedule_trials(study.pk)  # completes the study once its budget or grid is spent
    study.refresh_from_db()
    return [Trial.objects.select_related("study").get(pk=pk) for pk in trials]


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


def test_the_study_header_polls_while_running_and_serves_its_current_state(client, cast, make_study):
    study = make_study(max_trials=2, max_parallel=1)
    _run(study, [Outcome("complete", value=4.5)])
    page = _page(client, cast["viewer"], study.get_absolute_url())
    header_url = reverse("study-live", args=[study.pk])  # the header, and the leaderboard with it
    assert f'hx-get="{header_url}"' in page
    _run(study, [Outcome("complete", value=2.25)])
    header = _page(client, cast["viewer"], header_url)
    assert '<span class="state completed">completed</span>' in header and "2 complete" in header
    assert "2.25 (trial 2)" in header and "hx-get" not in header, "a finished study stops polling"
    client.force_login(cast["stranger"])
    assert client.get(header_url).status_code == 404


def test_the_study_list_polls_while_a_study_runs(client, cast, make_study):
    study = make_study(max_trials=2, max_parallel=1)
    _run(study, [Outcome("complete", value=1.0)])
    rows_url = reverse("study-list-rows")
    assert f'hx-get="{rows_url}"' in _page(client, cast["viewer"], reverse("study-list"))
    _run(study, [Outcome("complete", value=0.5)])
    rows = _page(client, cast["viewer"], rows_url)
    assert "2/2" in rows and '<span class="state completed">completed</span>' in rows
    assert "hx-get" not in rows, "nothing runs: the list stops polling"


def test_cancel_buttons_ask_for_confirmation(client, cast, make_study):
    study = make_study(max_trials=2, max_parallel=1)
    study.set_state("running")
    trial_id = services.schedule_trials(study.pk)[0]
    page = _page(client, cast["editor"], study.get_absolute_url())
    assert page.count("data-confirm=") == 1
    trial_page = _page(client, cast["editor"], study.trials.get(pk=trial_id).get_absolute_url())
    assert "data-confirm=" in trial_page


def test_optimizer_settings_read_as_key_value_pairs_on_the_study_page_and_report(client, cast, make_study):
    study = make_study(optimizer="gp", optimizer_settings={"acquisition": "ucb", "n_startup": 5})
    for url in (study.get_absolute_url(), reverse("study-report", args=[study.pk])):
        page = _page(client, cast["viewer"], url)
        assert "acquisition: ucb, n_startup: 5" in page and "{&#x27;" not in page, url


def test_report_sections_have_readable_titles(client, cast, make_study):
    study = make_study()
    page = _page(client, cast["viewer"], reverse("study-report", args=[study.pk]))
    assert "<h2>Distribution of values (EDF)</h2>" in page and "<h2>Edf</h2>" not in page
    assert "<h2>Optimization history</h2>" in page and "<h2>Parameter importance</h2>" in page


def test_only_users_who_may_create_studies_see_the_new_study_and_import_links(client, cast, make_study):
    make_study()
    create, import_ = reverse("study-create"), reverse("study-import")
    for role, sees in (("viewer", False), ("editor", True), ("staff", True)):
        page = _page(client, cast[role], reverse("study-list"))
        assert (f'href="{create}"' in page, f'href="{import_}"' in page) == (sees, sees), role


def test_the_import_form_preselects_the_only_project_a_user_may_create_in(client, cast, project):
    page = _page(client, cast["editor"], reverse("study-import"))
    assert f'<option value="{project.pk}" selected>' in page


def test_warm_start_offers_the_source_space_and_another_optimizer(client, cast, make_study):
    source = make_study(
        optimizer="gp", optimizer_settings={"acquisition": "ucb"}, max_trials=2, max_parallel=1
    )
    _run(source, [Outcome("complete", value=1.0), Outcome("complete", value=2.0)])
    url = reverse("study-warm-start", args=[source.pk])
    page = _page(client, cast["editor"], url)
    assert ">null</textarea>" not in page and "&quot;x1&quot;" in page
    data = {"name": "warm", "project": source.project_id, "max_trials": 3, "optimizer": "tpe", "space": ""}
    response = client.post(url, data)
    assert response.status_code == 302
    warm = source.project.studies.get(name="warm")
    assert warm.optimizer == "tpe" and warm.optimizer_settings == {} and warm.trials.count() == 2


def test_an_exhausted_grid_shows_as_complete_in_the_study_list(client, cast, make_study):
    space = {"a": {"type": "categorical", "choices": ["p", "q", "r"]}}
    study = make_study(space=space, optimizer="grid", max_trials=20, max_parallel=1)
    _run(study, [Outcome("complete", value=float(i)) for i in range(3)])
    assert study.state == "completed"
    page = _page(client, cast["viewer"], reverse("study-list"))
    assert '<progress max="3" value="3"></progress> 3/3' in page and "3/20" not in page
    page = _page(client, cast["viewer"], reverse("project-detail", args=[study.project_id]))
    assert "<td>3/3</td>" in page and "3/20" not in page  # the project page counts as the list does


def test_a_study_updated_under_a_minute_ago_reads_just_now_not_0_minutes_ago(client, cast, make_study):
    study = make_study()
    pages = [reverse("study-list"), reverse("project-detail", args=[study.project_id])]
    for url in pages:
        page = _page(client, cast["viewer"], url)
        assert ">just now</td>" in page and "0\xa0minutes" not in page, url
    type(study).objects.filter(pk=study.pk).update(updated=timezone.now() - timedelta(minutes=5, seconds=3))
    for url in pages:
        assert ">5\xa0minutes ago</td>" in _page(client, cast["viewer"], url), url


def test_pages_link_a_favicon_that_is_served(client, cast):
    page = _page(client, cast["viewer"], reverse("study-list"))
    assert '<link rel="icon" href="/static/favicon.svg"' in page


def test_a_space_row_removed_before_a_form_error_stays_removed_without_errors(client, cast, project):
    """The shape of "Use the job's example space": the blank row is marked deleted, the job's rows follow."""
    data = {"name": "", "job": "branin", "job_settings": "{}", "direction": "minimize", "metric": "loss"}
    data.update(optimizer="random", seed="0", pruner="none", max_trials="5", max_parallel="1")
    data.update(max_retries="0", max_consecutive_failures="5", project=str(project.pk))
    data.update({"param-TOTAL_FORMS": "3", "param-INITIAL_FORMS": "0", "param-0-DELETE": "on"})
    for i, (name, spec) in enumerate({"x1": (-5, 10), "x2": (0, 15)}.items(), start=1):
        data.update({f"param-{i}-name": name, f"param-{i}-type": "float"})
        data.update({f"param-{i}-low": str(spec[0]), f"param-{i}-high": str(spec[1])})
    client.force_login(cast["editor"])
    page = client.post(reverse("study-create"), data).content.decode()
    removed = page[page.index('name="param-0-name"') - 600 : page.index('name="param-0-DELETE"')]
    assert 'class="param-row hidden"' in removed and 'class="error"' not in removed
    assert page.count("This field is required.") == 1, "only the study's name"


def test_labels_are_placed_clear_of_the_axis_titles():
    """Plotly puts an x axis title about 35 px below the plot: notes and legends go further down, with
    the margin to hold them; parcoords' axis names sit above the plot, so its title goes to the top."""
    notes = {"ped_anova": {"unavailable": "too few trials"}, "gp": {"unavailable": "helpers missing"}}
    only = {"n_trials": 3, "params": {"a": {"importance": 1.0, "low": 0.9, "high": 1.0}}, "warning": "w"}
    figure = analysis_figures.importance_figure({"data": {**notes, "ped_anova": only}}, {})
    shifts = [a["yshift"] for a in figure["layout"]["annotations"]]
    assert len(shifts) == 2 and max(shifts) <= -45
    assert figure["layout"]["margin"]["b"] >= -min(shifts) + 20
    curves = {"metric": "loss", "band": None, "n_curves": 1}
    curves["curves"] = [{"number": 1, "state": "complete", "step": [1, 2, 3], "value": [3.0, 2.0, 1.0]}]
    layout = figures.curves_figure(curves)["layout"]
    assert (
        layout["legend"]["y"] < -0.2 and layout["legend"]["yanchor"] == "top" and layout["margin"]["b"] >= 100
    )
    assert layout["xaxis"]["dtick"] == 1 and layout["xaxis"]["tickformat"] == "d"
    data = {"direction": "minimize", "metric": "loss", "space": {"x": {"type": "float", "low": 0, "high": 1}}}
    layout = figures.parallel_figure({**data, "value": [1.0], "params": {"x": [0.5]}})["layout"]
    assert layout["title"]["yref"] == "container" and layout["margin"]["t"] >= 90
