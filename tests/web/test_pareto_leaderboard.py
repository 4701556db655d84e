"""The leaderboard of a study with several objectives: by Pareto rank, feasible first, then by the
objective a person picks; the rank shown as a column."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.helpers import two_objective_study

pytestmark = pytest.mark.django_db

# trial: error, latency, memory (the limit is 8)
RESULTS = [
    {"error": 0.2, "latency": 5.0, "memory": 1.0},  # 1: front
    {"error": 0.4, "latency": 2.0, "memory": 1.0},  # 2: front
    {"error": 0.3, "latency": 6.0, "memory": 1.0},  # 3: rank 2 (dominated by 1)
    {"error": 0.1, "latency": 1.0, "memory": 9.0},  # 4: infeasible, would dominate everything
    {"error": 0.5, "latency": 2.5, "memory": 1.0},  # 5: rank 2 (dominated by 2)
    {"error": 0.6, "latency": 7.0, "memory": 20.0},  # 6: infeasible, further from the limit
    {"error": 0.2, "latency": 5.0, "memory": 2.0},  # 7: a duplicate of 1 on the front
]


def _rows(html: str) -> list[tuple[str, str]]:
    """(trial number, rank cell) of each leaderboard row, in page order."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    pattern = r'trials/(\d+)/">\d+</a></td>.*?<td class="num rank">(.*?)</td>'
    return [(n, re.sub(r"<[^>]+>", "", rank)) for n, rank in re.findall(pattern, body, re.S)]


def test_trials_are_listed_by_pareto_rank_feasible_first_then_by_the_first_objective(
    client, cast, make_study
):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["viewer"])

    html = client.get(reverse("study-live", args=[study.pk])).content.decode()

    assert _rows(html) == [
        ("1", "1"),
        ("7", "1"),
        ("2", "1"),
        ("3", "2"),
        ("5", "2"),
        ("4", "infeasible"),
        ("6", "infeasible"),
    ]
    assert ">Rank</th>" in html and "latency" in html and 'title="constraint"><a' in html


def test_a_chosen_objective_orders_the_trials_within_each_rank(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["viewer"])

    response = client.get(reverse("study-live", args=[study.pk]), {"sort": "pareto:latency"})

    assert [n for n, _ in _rows(response.content.decode())] == ["2", "1", "7", "5", "3", "4", "6"]


def test_the_filter_and_the_state_narrow_the_ranked_rows_without_changing_ranks(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS)
    client.force_login(cast["viewer"])

    response = client.get(reverse("study-detail", args=[study.pk]), {"filter": "number >= 3"})

    assert _rows(response.content.decode()) == [
        ("7", "1"),
        ("3", "2"),
        ("5", "2"),
        ("4", "infeasible"),
        ("6", "infeasible"),
    ]


def test_an_unknown_objective_to_sort_by_is_a_404(client, cast, make_study):
    study = two_objective_study(make_study, RESULTS[:2])
    client.force_login(cast["viewer"])
    response = client.get(reverse("study-live", args=[study.pk]), {"sort": "pareto:memory"})
    assert response.status_code == 404
