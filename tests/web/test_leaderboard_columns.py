"""The leaderboard's columns over HTTP: chosen in the address with the filter (so a shared or saved
view shows the same table), the same rows and columns in its CSV download, every objective and
constraint of a study with several objectives, and a clear 400 for a column that does not exist."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from studies.models import SavedView
from tests.helpers import run_trials

pytestmark = pytest.mark.django_db

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    "layers": {"type": "int", "low": 1, "high": 5},
    "act": {"type": "categorical", "choices": ["=1+1", "relu"]},
}
OBJECTIVES = [{"metric": "error", "direction": "minimize"}, {"metric": "latency", "direction": "minimize"}]
CONSTRAINTS = [{"metric": "memory", "max": 8.0}]


@pytest.fixture
def study(make_study):
    values = [0.9, None, 0.5, 0.3, 0.7, 0.2]
    return run_trials(make_study(name="cols", space=SPACE, max_trials=6, max_parallel=6), values)


@pytest.fixture
def two_objectives(make_study):
    study = make_study(
        name="trade-off", space=SPACE, max_trials=4, max_parallel=4, metric="error",
        objectives=OBJECTIVES, constraints=CONSTRAINTS,
    )  # fmt: skip
    results = [
        {"error": 0.3, "latency": 20.0, "memory": 4.0},
        {"error": 0.1, "latency": 50.0, "memory": 9.0},
        {"error": 0.2, "latency": 10.0, "memory": 2.0},
        {"error": 0.4, "latency": 5.0, "memory": 7.5},
    ]
    return run_trials(study, results)


@pytest.fixture
def viewer(client, cast):
    client.force_login(cast["viewer"])
    return client


def _table(response) -> tuple[list[str], list[list]]:
    """The header labels and each row's shown cells (after the trial number)."""
    context = response.context
    return [c.label for c in context["columns"]], [
        [shown for _c, shown in cells] for _t, cells in context["rows"]
    ]


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_chosen_columns_alone_show_in_the_order_given(viewer, study):
    response = viewer.get(study.get_absolute_url(), {"cols": "param:lr,value,worker", "sort": "number"})
    labels, rows = _table(response)
    assert labels == ["lr", "loss", "worker"]
    trials = list(study.trials.order_by("number"))
    assert rows == [[f"{t.params['lr']:.6g}", t.value and f"{t.value:.6g}", t.worker] for t in trials]
    html = response.content.decode()
    assert "<th><a" in html and ">layers</a></th>" not in html and ">Duration<" not in html


def test_without_cols_the_default_columns_show_and_an_empty_cols_shows_only_numbers(viewer, study):
    labels, _rows = _table(viewer.get(study.get_absolute_url()))
    assert labels == ["state", "loss", "lr", "layers", "act", "worker", "duration"]
    labels, rows = _table(viewer.get(study.get_absolute_url(), {"cols": ""}))
    assert labels == [] and len(rows) == 6 and rows[0] == []


def test_the_columns_stay_in_every_link_and_in_the_filter_box(viewer, study):
    query = {"cols": "state,param:layers", "filter": "layers >= 2", "state": "complete"}
    html = viewer.get(study.get_absolute_url(), query).content.decode()
    assert (
        "?cols=state%2Cparam%3Alayers&amp;filter=layers+%3E%3D+2&amp;state=complete&amp;sort=number" in html
    )
    assert '<input type="hidden" name="cols" value="state,param:layers">' in html
    csv_link = reverse("study-export", args=[study.pk, "csv"])
    assert (
        f'href="{csv_link}?filter=layers+%3E%3D+2&amp;state=complete&amp;cols=state%2Cparam%3Alayers"' in html
    )
    assert '<input type="checkbox" name="cols" value="param:layers" checked>' in html
    assert '<input type="checkbox" name="cols" value="param:lr">' in html


def test_the_column_chooser_form_submits_a_list_the_page_reads_back(viewer, study):
    response = viewer.get(study.get_absolute_url(), {"cols": ["", "state", "param:act"]})
    assert _table(response)[0] == ["state", "act"]
    assert response.context["cols"] == "state,param:act"


def test_a_column_header_sorts_by_it(viewer, study):
    response = viewer.get(study.get_absolute_url(), {"cols": "param:lr", "sort": "-param:lr"})
    shown = [t.params["lr"] for t, _cells in response.context["rows"]]
    assert shown == sorted(shown, reverse=True) and len(shown) == 6


@pytest.mark.parametrize(
    ("cols", "message"),
    [
        ("param:depth", "Unknown column 'param:depth'; this leaderboard has state, value, param:lr"),
        ("metric:latency", "Unknown column 'metric:latency'"),
        ("state,<script>", "Unknown column '<script>'"),
        ("state," * 400, "The column list is too long"),
    ],
)
def test_an_unknown_column_is_a_400_that_says_why_under_the_box(viewer, study, cols, message):
    response = viewer.get(study.get_absolute_url(), {"cols": cols})
    assert response.status_code == 400
    assert message in response.context["filter_error"] and response.context["rows"] == []
    assert "<script>'" not in response.content.decode()
    csv_response = viewer.get(reverse("study-export", args=[study.pk, "csv"]), {"cols": cols})
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


def test_the_csv_download_has_the_rows_and_columns_of_the_leaderboard(viewer, study):
    url = reverse("study-export", args=[study.pk, "csv"])
    query = {"filter": "value < 0.8", "state": "complete", "cols": "param:act,value,attempts,started"}
    rows = _csv(viewer.get(url, query))
    expected = [t for t in study.trials.order_by("number") if t.state == "complete" and t.value < 0.8]
    assert [int(r["number"]) for r in rows] == [t.number for t in expected] and len(expected) == 4
    assert list(rows[0]) == ["number", "param_act", "value", "attempts", "started"]
    for row, trial in zip(rows, expected, strict=True):
        act = trial.params["act"]
        assert row["param_act"] == ("'" + act if act.startswith("=") else act)
        assert float(row["value"]) == trial.value and row["attempts"] == "1"
        assert row["started"] == trial.started.isoformat()


def test_the_csv_download_without_columns_keeps_every_column(viewer, study):
    rows = _csv(viewer.get(reverse("study-export", args=[study.pk, "csv"]), {"state": "complete"}))
    complete = study.trials.filter(state="complete").order_by("number")
    assert [int(r["number"]) for r in rows] == [t.number for t in complete] and len(rows) == 5
    assert {"param_lr", "param_act", "duration_s", "attempts", "error"} <= set(rows[0])


def test_a_saved_view_keeps_the_filter_and_the_columns(client, cast, project, study):
    client.force_login(cast["editor"])
    address = f"{study.get_absolute_url()}?filter=layers+%3E%3D+2&cols=state%2Cparam%3Alayers"
    response = client.post(
        reverse("saved-view-create"), {"project": project.pk, "name": "layers", "address": address}
    )
    assert response.status_code == 302
    saved = SavedView.objects.get(name="layers")
    client.force_login(cast["viewer"])
    labels, rows = _table(client.get(saved.address))
    assert labels == ["state", "layers"]
    assert [cells[1] for cells in rows] == [cells[1] for cells in rows if cells[1] >= 2] and rows


def test_a_study_with_objectives_shows_and_filters_every_objective_and_constraint(viewer, two_objectives):
    labels, rows = _table(viewer.get(two_objectives.get_absolute_url(), {"sort": "number"}))
    assert labels[:5] == ["state", "error", "latency", "memory", "feasible"]
    assert [r[1:5] for r in rows] == [
        ["0.3", "20", "4", True],
        ["0.1", "50", "9", False],
        ["0.2", "10", "2", True],
        ["0.4", "5", "7.5", True],
    ]
    query = {
        "filter": "latency < 30 and feasible == true",
        "sort": "metric:latency",
        "cols": "metric:latency",
    }
    response = viewer.get(two_objectives.get_absolute_url(), query)
    assert [cells[0] for cells in _table(response)[1]] == ["5", "10", "20"]
    rows = _csv(viewer.get(reverse("study-export", args=[two_objectives.pk, "csv"]), query))
    assert [r["metric_latency"] for r in rows] == ["20.0", "10.0", "5.0"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("feasible == 1", "feasible is true or false"),
        ("feasible < true", "feasible is true or false"),
        ('memory > "lots"', "memory is a number"),
    ],
)
def test_a_bad_comparison_of_a_metric_or_feasibility_is_explained(
    viewer, two_objectives, expression, message
):
    response = viewer.get(two_objectives.get_absolute_url(), {"filter": expression})
    assert response.status_code == 400 and message in response.context["filter_error"]


def test_a_stranger_gets_404_for_the_leaderboard_and_its_csv_whatever_the_columns(client, cast, study):
    client.force_login(cast["stranger"])
    for url in (study.get_absolute_url(), reverse("study-export", args=[study.pk, "csv"])):
        assert client.get(url, {"cols": "state", "filter": "value < 1"}).status_code == 404


def test_the_live_refresh_replaces_the_rows_and_leaves_the_filter_box_and_column_chooser_alone(viewer, study):
    """A running study's leaderboard refreshes every few seconds: what someone is typing stays."""
    page = viewer.get(study.get_absolute_url(), {"cols": "state,param:lr"}).content.decode()
    poll = reverse("study-live", args=[study.pk]) + "?cols=state%2Cparam%3Alr"
    assert f'<div id="study-header" hx-get="{poll}"' in page
    assert (
        page.index('id="trial-filter"') < page.index('id="columns-choice"') < page.index('id="leaderboard"')
    )
    rows = viewer.get(poll).content.decode().split('<div id="leaderboard" hx-swap-oob="true">')[1]
    assert "<table" in rows and 'id="trial-filter"' not in rows and 'id="columns-choice"' not in rows


def test_a_metric_whose_name_is_not_a_word_is_shown_sorted_and_filtered(viewer, make_study):
    objectives = [
        {"metric": "val/loss", "direction": "minimize"},
        {"metric": "it's", "direction": "maximize"},
    ]
    study = make_study(
        name="odd", space=SPACE, max_trials=3, max_parallel=3, metric="val/loss", objectives=objectives
    )
    run_trials(study, [{"val/loss": v, "it's": -v} for v in (0.2, 0.3, 0.1)])
    query = {"cols": "metric:val/loss,metric:it's", "sort": "-metric:val/loss"}
    response = viewer.get(study.get_absolute_url(), query)
    assert _table(response) == (["val/loss", "it's"], [["0.3", "-0.3"], ["0.2", "-0.2"], ["0.1", "-0.1"]])
    response = viewer.get(study.get_absolute_url(), {"filter": "val/loss < 0.25 and `it's` < 0", **query})
    assert _table(response) == (["val/loss", "it's"], [["0.2", "-0.2"], ["0.1", "-0.1"]])


def test_the_plots_parameter_pickers_list_every_parameter_whatever_the_columns(viewer, study):
    html = viewer.get(study.get_absolute_url(), {"cols": "state"}).content.decode()
    picker = html[html.index('<select data-param="param"') :]
    picker = picker[: picker.index("</select>")]
    assert [f'<option value="{n}">' in picker for n in SPACE] == [True, True, True]


def test_the_study_list_names_the_objective_a_multi_objective_best_is_of(viewer, two_objectives):
    row = viewer.get(reverse("study-list")).content.decode()
    assert '0.2 <small class="muted">error</small>' in row  # the best feasible error, and which metric
