"""The comparison pages at 10,000 trials: each answers under 300 ms and 1 MB, in a bounded number of
queries (measured after one warm-up request; the bound holds on a loaded two-core machine)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from studies.demo import create_demo_study

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

LIMIT_S = 0.3
MAX_BYTES = 1_000_000


def _timed(client, url: str, query: dict, max_queries: int, django_assert_max_num_queries):
    client.get(url, query)  # warm-up: templates compiled, connection open
    with django_assert_max_num_queries(max_queries):
        started = time.perf_counter()
        response = client.get(url, query)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, query)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) < MAX_BYTES, (url, len(body))
    assert elapsed < LIMIT_S, f"{url}?{query}: {elapsed * 1000:.0f} ms"


def test_the_new_pages_answer_in_300_ms_at_10000_trials(client, cast, django_assert_max_num_queries):
    big = create_demo_study(cast["staff"], 10_000, 5, name="big")
    rerun = create_demo_study(cast["staff"], 200, 5, name="big-rerun", seed=4)
    big.tags.create(name="week-48")
    client.force_login(cast["staff"])
    page = {"filter": 'lr < 0.01 and layers >= 3 and state == "complete"'}
    _timed(client, reverse("study-leaderboard", args=[big.pk]), page, 12, django_assert_max_num_queries)
    listing = {"tag": "week-48", "search": "big", "ordering": "-trials"}
    _timed(client, reverse("study-list"), listing, 9, django_assert_max_num_queries)
    compare = {"studies": [big.pk, rerun.pk], "target": "0.2"}
    _timed(client, reverse("study-compare"), compare, 14, django_assert_max_num_queries)
    best = big.trials.completed().leaderboard(big.direction)[:12]
    trials = {"ids": ",".join(str(t.pk) for t in best)}
    _timed(client, reverse("trial-compare"), trials, 10, django_assert_max_num_queries)
