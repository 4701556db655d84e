"""A study of many parameters: its leaderboard scrolls sideways inside its card, and the page itself
never grows wider than the window (the table ran past the card's edge, under the page's margin)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import services
from studies.services import Outcome, WorkerIdentity
from tests.web.browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPACE = {f"a_rather_long_parameter_name_{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(16)}


def test_a_wide_leaderboard_scrolls_inside_its_card(page, live_server, cast, make_study):
    study = make_study(name="wide", space=SPACE, max_trials=3, max_parallel=3)
    study.set_state("running")
    for i, trial_id in enumerate(services.schedule_trials(study.pk)):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w1"))
        services.finish_attempt(attempt.pk, Outcome("complete", value=float(i)))
    page.set_viewport_size({"width": 1000, "height": 900})
    log_in(page, live_server.url, "owner", "pw-owner")
    page.goto(live_server.url + reverse("study-detail", args=[study.pk]))
    board = page.locator("#leaderboard")
    assert page.locator("#leaderboard tbody tr").count() == 3
    assert board.evaluate("e => e.scrollWidth > e.clientWidth")  # the table is wider than its card
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert not page.errors
