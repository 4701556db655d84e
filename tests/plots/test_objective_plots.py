"""A study with several objectives draws its history, parallel coordinates and importance for
any objective a person picks (the `objective` option), and its CSVs follow the pick."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from studies.plots.analysis import analyze
from tests.helpers import two_objective_study

pytestmark = pytest.mark.django_db

RESULTS = [{"error": 0.1 * i, "latency": 10.0 - i, "memory": 1.0} for i in range(1, 13)]


@pytest.fixture
def study(client, cast, make_study):
    client.force_login(cast["viewer"])
    return two_objective_study(make_study, RESULTS, max_parallel=12)


def _plot(client, study, kind: str, **options) -> dict:
    response = client.get(reverse("study-plot", args=[study.pk, kind]), options)
    assert response.status_code == 200, response.content
    return response.json()["figure"]


def test_the_history_follows_the_chosen_objective_and_its_direction(client, study):
    by_error = {t["name"]: t for t in _plot(client, study, "history")["data"]}
    by_latency = {t["name"]: t for t in _plot(client, study, "history", objective="latency")["data"]}

    assert by_error["best so far"]["y"][-1] == pytest.approx(0.1)
    assert by_latency["best so far"]["y"][-1] == pytest.approx(-2.0)  # lowest of 9 .. -2
    assert by_latency["complete"]["y"] == pytest.approx([10.0 - i for i in range(1, 13)])
    assert by_latency["best so far"]["y"][0] == pytest.approx(9.0)
    csv = client.get(reverse("study-plot-csv", args=[study.pk, "history"]), {"objective": "latency"})
    assert csv.content.decode().splitlines()[1].split(",")[2] == "9.0"


def test_the_history_marks_trials_that_break_the_memory_limit_as_infeasible(client, cast, make_study):
    results = [{"error": 0.5, "latency": 1.0, "memory": 2.0}, {"error": 0.1, "latency": 1.0, "memory": 9.0}]
    study = two_objective_study(make_study, results, name="constrained")
    client.force_login(cast["viewer"])
    traces = {t["name"]: t for t in _plot(client, study, "history")["data"]}
    assert traces["complete"]["x"] == [1] and traces["infeasible"]["x"] == [2]
    assert traces["best so far"]["y"] == [0.5, 0.5], "the infeasible 0.1 is not the best"
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("study-plot-csv", args=[study.pk, "history"])).text))
    )
    assert [row[0] for row in rows] == ["number", "1", "2"]
    assert [row[3] for row in rows] == ["best_so_far", "0.5", "0.5"] and [row[-1] for row in rows][1:] == [
        "True",
        "False",
    ]


def test_parallel_coordinates_are_coloured_by_the_chosen_objective_with_every_objective_an_axis(
    client, study
):
    [trace] = _plot(client, study, "parallel", objective="latency")["data"]

    assert [d["label"] for d in trace["dimensions"]] == ["x", "error", "latency"]
    assert trace["line"]["color"] == pytest.approx([10.0 - i for i in range(1, 13)])


def test_importance_is_computed_and_drawn_for_each_objective(client, study):
    analyze(study)

    for objective in ("error", "latency"):
        traces = _plot(client, study, "importance", objective=objective)["data"]
        assert traces and traces[0]["y"] == ["x"], objective


def test_an_objective_the_study_does_not_have_is_a_404(client, study):
    response = client.get(reverse("study-plot", args=[study.pk, "history"]), {"objective": "memory"})
    assert response.status_code == 404
