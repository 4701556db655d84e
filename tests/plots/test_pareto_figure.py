"""The Pareto front figure from plain data, and its endpoint for a study with objectives."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.plots.pareto import pareto_figure, pareto_table

TWO = [{"metric": "error", "direction": "minimize"}, {"metric": "<b>latency</b>", "direction": "minimize"}]


def _data(objectives=TWO, n=4) -> dict:
    return {
        "objectives": objectives,
        "number": list(range(1, n + 1)),
        "values": {
            o["metric"]: [3.0, 1.0, 2.0, 0.5][:n] if i == 0 else [1.0, 3.0, 2.5, 0.5][:n]
            for i, o in enumerate(objectives)
        },
        "params": [{"lr": 0.1, "opt": "<script>"}] * n,
        "feasible": [True, True, True, False][:n],
        "front": [True, True, False, False][:n],
        "n_trials": n,
    }


def test_two_objectives_draw_the_front_joined_in_order_and_infeasible_trials_apart():
    traces = {t["name"]: t for t in pareto_figure(_data())["data"]}

    assert traces["Pareto front"]["x"] == [1.0, 3.0] and "lines" in traces["Pareto front"]["mode"]
    assert traces["Pareto front"]["customdata"] == [2, 1]
    assert traces["dominated"]["customdata"] == [3]
    assert traces["infeasible"]["customdata"] == [4] and traces["infeasible"]["marker"]["symbol"] == "x"
    assert "trial #2" in traces["Pareto front"]["text"][0]


def test_user_strings_in_labels_and_hover_are_escaped():
    figure = pareto_figure(_data())
    assert (
        "<b>" not in str(figure["layout"])
        and "&lt;b&gt;latency" in figure["layout"]["yaxis"]["title"]["text"]
    )
    assert "<script>" not in figure["data"][0]["text"][0]


def test_three_objectives_draw_a_matrix_of_pairs():
    three = [*TWO, {"metric": "size", "direction": "maximize"}]
    figure = pareto_figure(_data(three))
    assert {t["type"] for t in figure["data"]} == {"splom"}
    assert [len(t["dimensions"]) for t in figure["data"]] == [3, 3, 3]
    # a click on a point opens the trial its customdata names (splom clicks carry it too)
    assert [t["customdata"] for t in figure["data"]] == [[1, 2], [3], [4]]


def test_the_table_lists_every_objective_feasibility_and_front_membership():
    header, rows = pareto_table(_data())
    assert header == ["number", "error", "<b>latency</b>", "feasible", "pareto"]
    assert rows[3] == [4, 0.5, 0.5, False, False]


@pytest.mark.django_db
def test_the_page_of_a_multi_objective_study_serves_its_front(client, cast, make_study):
    study = make_study(
        name="mo",
        job="external",
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        objectives=TWO,
        metric="error",
    )
    client.force_login(cast["viewer"])
    assert 'id="pareto-plot"' in client.get(study.get_absolute_url()).content.decode()
    body = client.get(reverse("study-plot", args=[study.pk, "pareto"])).json()
    assert body["n_trials"] == 0 and body["figure"]["data"] == []
