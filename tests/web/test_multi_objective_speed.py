"""The pages of a study with several objectives at 10,000 trials: each answers under 1 MB in a bounded
number of queries (their times: benchmarks/dashboard_speed.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import services
from studies.demo import create_demo_study
from tests.helpers import assert_bounded

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_pages_of_a_two_objective_study_stay_within_their_queries_and_1_mb_at_10000_trials(
    client, cast, django_assert_max_num_queries
):
    big = create_demo_study(cast["staff"], 10_000, 0, name="big", objectives=True)
    other = create_demo_study(cast["staff"], 200, 0, name="other", seed=3, objectives=True)
    front = big.trials.filter(feasible=True).order_by("value").first()
    services.choose_trial(cast["staff"], big, front, "lowest loss under the memory limit")
    client.force_login(cast["staff"])
    plot = lambda kind: reverse("study-plot", args=[big.pk, kind])  # noqa: E731
    assert_bounded(client, big.get_absolute_url(), {}, 20, django_assert_max_num_queries)
    assert_bounded(
        client,
        reverse("study-live", args=[big.pk]),
        {"sort": "pareto:latency_ms", "page": 40, "filter": "layers >= 2"},
        12,
        django_assert_max_num_queries,
    )
    assert_bounded(client, plot("pareto"), {}, 6, django_assert_max_num_queries)
    assert_bounded(client, plot("hypervolume"), {}, 6, django_assert_max_num_queries)
    assert_bounded(client, plot("history"), {"objective": "latency_ms"}, 6, django_assert_max_num_queries)
    assert_bounded(client, plot("parallel"), {"objective": "latency_ms"}, 8, django_assert_max_num_queries)
    assert_bounded(client, front.get_absolute_url(), {}, 14, django_assert_max_num_queries)
    assert_bounded(client, reverse("study-list"), {}, 9, django_assert_max_num_queries)
    assert_bounded(
        client,
        reverse("study-compare"),
        {"studies": [big.pk, other.pk]},
        15,
        django_assert_max_num_queries,
    )
