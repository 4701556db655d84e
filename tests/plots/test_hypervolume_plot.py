"""The hypervolume over trials on a study's page, and overlaid on Compare for studies that share
their objectives (each against one reference point)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import two_objective_study

pytestmark = pytest.mark.django_db

RESULTS = [
    {"error": 0.2, "latency": 5.0, "memory": 1.0},
    {"error": 0.4, "latency": 2.0, "memory": 1.0},
    {"error": 0.3, "latency": 6.0, "memory": 1.0},  # dominated by trial 1
    {"error": 0.1, "latency": 1.0, "memory": 9.0},  # infeasible: counts for nothing
    {"error": 0.5, "latency": 2.5, "memory": 1.0},  # dominated by trial 2
]


def test_the_curve_grows_at_the_trials_that_add_to_the_feasible_front(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["viewer"])
    assert 'id="hypervolume-plot"' in client.get(study.get_absolute_url()).content.decode()

    body = client.get(reverse("study-plot", args=[study.pk, "hypervolume"])).json()

    [line] = body["figure"]["data"]
    # reference: the worst feasible values plus a tenth of their range, (0.53, 6.4)
    # trial 1: 0.33 * 1.4; trial 2 adds 0.13 * 3; then it stays to trial 5
    assert line["x"] == [1, 2, 5] and line["y"] == pytest.approx([0.462, 0.852, 0.852])
    layout = body["figure"]["layout"]
    # the reference point is named under the title: on the y axis it ran past the plot's height
    assert layout["yaxis"]["title"]["text"] == "hypervolume"
    assert "reference point: error = 0.53, latency = 6.4" in layout["title"]["text"]
    csv = client.get(reverse("study-plot-csv", args=[study.pk, "hypervolume"])).content.decode()
    assert csv.splitlines()[:3] == ["number,hypervolume", "1,0.462", "2,0.852"]


def test_compare_overlays_the_curves_of_studies_that_share_objectives(client, cast, make_study):
    first = two_objective_study(make_study, RESULTS[:2], name="first")
    second = two_objective_study(make_study, [RESULTS[2], RESULTS[0]], name="second")
    single = make_study(name="single")
    client.force_login(cast["viewer"])

    response = client.get(reverse("study-compare"), {"studies": [first.pk, second.pk, single.pk]})

    figure = response.context["hypervolume"]
    assert [t["name"].split(" ")[0] for t in figure["data"]] == ["first", "second"]
    # one reference for both, (0.42, 6.4), from the worst of all their feasible trials
    assert figure["data"][0]["y"] == pytest.approx([0.22 * 1.4, 0.22 * 1.4 + 0.02 * 3])
    assert figure["data"][1]["x"] == [1, 2]
    assert figure["data"][1]["y"] == pytest.approx([0.12 * 0.4, 0.22 * 1.4])  # trial 2 dominates 1
    assert 'id="compare-hypervolume-plot"' in response.content.decode()


def test_compare_without_a_multi_objective_study_draws_no_hypervolume(client, cast, make_study):
    a, b = make_study(name="a"), make_study(name="b")
    client.force_login(cast["viewer"])
    response = client.get(reverse("study-compare"), {"studies": [a.pk, b.pk]})
    assert response.context["hypervolume"] is None
