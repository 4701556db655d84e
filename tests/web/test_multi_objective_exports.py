"""Exports of a study with several objectives carry every objective, constraint, feasibility and the
Pareto set, and so does the offline HTML report (with its front, hypervolume and chosen trial)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from studies import services
from tests.helpers import two_objective_study

pytestmark = pytest.mark.django_db

RESULTS = [
    {"error": 0.2, "latency": 5.0, "memory": 1.0},
    {"error": 0.4, "latency": 2.0, "memory": 1.0},
    {"error": 0.3, "latency": 6.0, "memory": 1.0},
    {"error": 0.1, "latency": 1.0, "memory": 9.0},
]


@pytest.fixture
def study(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    services.choose_trial(cast["editor"], study, study.trials.get(number=2), "=fast enough")
    client.force_login(cast["viewer"])
    return study


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_csv_has_every_objective_and_constraint_feasibility_and_the_front(client, study):
    rows = list(
        csv.DictReader(io.StringIO(_body(client.get(reverse("study-export", args=[study.pk, "csv"])))))
    )

    assert [(r["number"], r["value_error"], r["value_latency"], r["value_memory"]) for r in rows][3] == (
        "4",
        "0.1",
        "1.0",
        "9.0",
    )
    assert [r["feasible"] for r in rows] == ["True", "True", "True", "False"]
    assert [r["pareto"] for r in rows] == ["True", "True", "False", "False"]


def test_the_json_carries_objectives_constraints_values_the_pareto_set_and_the_choice(client, study):
    document = json.loads(_body(client.get(reverse("study-export", args=[study.pk, "json"]))))

    header = document["study"]
    assert header["objectives"] == study.objectives and header["constraints"] == study.constraints
    assert header["pareto"] == [1, 2]
    assert header["chosen"]["number"] == 2 and header["chosen"]["note"] == "=fast enough"
    assert document["trials"][3]["values"] == RESULTS[3] and document["trials"][3]["feasible"] is False


def test_the_report_shows_the_front_the_hypervolume_the_pareto_set_and_the_chosen_trial(client, study):
    html = client.get(reverse("study-report", args=[study.pk])).content.decode()

    assert 'id="plot-pareto"' in html and 'id="plot-hypervolume"' in html
    assert 'id="figure-pareto"' in html and 'id="figure-hypervolume"' in html
    pareto_set = html.split('id="pareto-set"')[1].split("</table>")[0]
    cells = "".join(f'<td class="num">{v}</td>' for v in (1, 0.2, 5, 1))
    assert cells in pareto_set and '<td class="num">2</td><td class="num">0.4</td>' in pareto_set
    assert '<td class="num">3</td>' not in pareto_set
    assert 'id="chosen">trial 2: =fast enough' in html
    assert "memory ≤ 8.0" in html and "minimize error, minimize latency" in html
