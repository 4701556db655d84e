"""The study page's header: its best value reads like the leaderboard's, not as a raw float."""

from __future__ import annotations

import pytest

from tests.helpers import run_trials

pytestmark = pytest.mark.django_db


def test_the_best_value_has_six_significant_digits_like_the_leaderboard(client, cast, make_study):
    study = run_trials(make_study(max_trials=2, max_parallel=2), [0.19545016530586953, 0.5])
    client.force_login(cast["viewer"])
    page = client.get(study.get_absolute_url()).content.decode()
    assert "0.19545 (trial 1)" in page
    assert "0.19545016530586953" not in page
