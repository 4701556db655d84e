"""The comparison pages at 10,000 trials: each answers under 1 MB in a bounded number of queries
(their times: benchmarks/dashboard_speed.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.demo import create_demo_study
from tests.helpers import assert_bounded, token_client

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _streamed(client, url: str, query: dict, django_assert_max_num_queries) -> None:
    """A download of any size is streamed in chunks of rows, and the whole download costs a fixed
    number of queries however many rows it holds."""
    b"".join(client.get(url, query).streaming_content)  # warm-up
    with django_assert_max_num_queries(12):
        chunks = iter(client.get(url, query).streaming_content)
        header, first_rows = next(chunks), next(chunks)
        rest = b"".join(chunks)
    assert header.startswith(b"number,") and first_rows.count(b"\n") > 100 and rest


def test_the_new_pages_stay_within_their_queries_and_1_mb_at_10000_trials(
    client, cast, django_assert_max_num_queries
):
    big = create_demo_study(cast["staff"], 10_000, 5, name="big")
    rerun = create_demo_study(cast["staff"], 200, 5, name="big-rerun", seed=4)
    big.tags.create(name="week-48")
    client.force_login(cast["staff"])
    page = {"filter": 'lr < 0.01 and layers >= 3 and state == "complete"'}
    assert_bounded(client, reverse("study-live", args=[big.pk]), page, 12, django_assert_max_num_queries)
    listing = {"tag": "week-48", "search": "big", "ordering": "-trials"}
    assert_bounded(client, reverse("study-list"), listing, 9, django_assert_max_num_queries)
    compare = {"studies": [big.pk, rerun.pk], "target": "0.2"}
    assert_bounded(client, reverse("study-compare"), compare, 14, django_assert_max_num_queries)
    best = big.trials.completed().leaderboard(big.direction)[:12]
    trials = {"ids": ",".join(str(t.pk) for t in best)}
    assert_bounded(client, reverse("trial-compare"), trials, 10, django_assert_max_num_queries)


def test_the_columns_the_csv_and_the_api_stay_within_their_queries_at_10000_trials(
    client, cast, django_assert_max_num_queries
):
    big = create_demo_study(cast["staff"], 10_000, 5, name="big")
    big.tags.create(name="week-48")
    client.force_login(cast["staff"])
    leaderboard = reverse("study-live", args=[big.pk])
    every = {"cols": "state,value,param:lr,param:layers,worker,duration,started,finished,attempts"}
    board = {"filter": "lr < 0.01 and layers >= 3", "sort": "-param:lr", "page": "20", **every}
    assert_bounded(client, leaderboard, board, 12, django_assert_max_num_queries)
    download = {"filter": 'lr < 0.01 and layers >= 3 and state == "complete"', **every}
    _streamed(client, reverse("study-export", args=[big.pk, "csv"]), download, django_assert_max_num_queries)
    best = big.trials.completed().leaderboard(big.direction)[:12]
    api = token_client(cast["staff"])
    ids = {"ids": ",".join(str(t.pk) for t in best)}
    assert_bounded(api, reverse("api-trial-list"), ids, 8, django_assert_max_num_queries)
    listing = {"tag": "week-48", "search": "big", "ordering": "-updated"}
    assert_bounded(api, reverse("api-studies"), listing, 10, django_assert_max_num_queries)
    assert_bounded(api, reverse("api-study-tags", args=[big.pk]), {}, 6, django_assert_max_num_queries)
