"""The pages of a study with several objectives at 10,000 trials: each answers under 300 ms and 1 MB,
in a bounded number of queries (measured after one warm-up request; the bound holds on a loaded
two-core machine)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from studies import services
from studies.demo import create_demo_study

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

LIMIT_S = 0.3
MAX_BYTES = 1_000_000


def _timed(client, url: str, query: dict, max_queries: int, django_assert_max_num_queries) -> float:
    client.get(url, query)  # warm-up: templates compiled, connection open
    with django_assert_max_num_queries(max_queries):
        started = time.perf_counter()
        response = client.get(url, query)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, query)
    assert len(response.content) < MAX_BYTES, (url, len(response.content))
    assert elapsed < LIMIT_S, f"{url}?{query}: {elapsed * 1000:.0f} ms"
    return elapsed


def test_the_pages_of_a_two_objective_study_answer_in_300_ms_at_10000_trials(
    client, cast, django_assert_max_num_queries
):
    big = create_demo_study(cast["staff"], 10_000, 0, name="big", objectives=True)
    other = create_demo_study(cast["staff"], 200, 0, name="other", seed=3, objectives=True)
    front = big.trials.filter(feasible=True).order_by("value").first()
    services.choose_trial(cast["staff"], big, front, "lowest loss under the memory limit")
    client.force_login(cast["staff"])
    plot = lambda kind: reverse("study-plot", args=[big.pk, kind])  # noqa: E731
    timings = {
        "study page": _timed(client, big.get_absolute_url(), {}, 20, django_assert_max_num_queries),
        "leaderboard by latency, page 40": _timed(
            client,
            reverse("study-leaderboard", args=[big.pk]),
            {"sort": "pareto:latency_ms", "page": 40, "filter": "layers >= 2"},
            12,
            django_assert_max_num_queries,
        ),
        "pareto": _timed(client, plot("pareto"), {}, 6, django_assert_max_num_queries),
        "hypervolume": _timed(client, plot("hypervolume"), {}, 6, django_assert_max_num_queries),
        "history of latency": _timed(
            client, plot("history"), {"objective": "latency_ms"}, 6, django_assert_max_num_queries
        ),
        "parallel by latency": _timed(
            client, plot("parallel"), {"objective": "latency_ms"}, 8, django_assert_max_num_queries
        ),
        "trial page": _timed(client, front.get_absolute_url(), {}, 14, django_assert_max_num_queries),
        "study list": _timed(client, reverse("study-list"), {}, 9, django_assert_max_num_queries),
        "compare": _timed(
            client,
            reverse("study-compare"),
            {"studies": [big.pk, other.pk]},
            15,
            django_assert_max_num_queries,
        ),
    }
    print({name: f"{seconds * 1000:.0f} ms" for name, seconds in timings.items()})
