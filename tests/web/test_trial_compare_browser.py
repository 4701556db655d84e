"""In Chromium: tick two trials on a leaderboard, open the comparison, see the differing row marked."""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_trials
from tests.web.browser import ARTIFACTS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_trials_ticked_on_the_leaderboard_open_side_by_side_with_the_difference_highlighted(
    page, live_server, cast, make_study
):
    study = run_trials(make_study(name="pick-two", max_trials=3, max_parallel=3), [3.0, 1.0, 2.0])
    first, second = study.trials.get(number=1), study.trials.get(number=2)
    log_in(page, live_server.url, "viewer", "pw-viewer")
    page.goto(live_server.url + study.get_absolute_url())
    for trial in (first, second):
        page.check(f"input.pick-trial[value='{trial.pk}']")
    assert page.inner_text("[data-picked-count]") == "(2)"
    page.click("#trial-picks button[type=submit]")
    page.wait_for_url(re.compile(rf".*/trials/compare/\?ids={first.pk},{second.pk}$"))

    row = page.locator("table.trial-compare tr.differs", has=page.locator("th", has_text="x1"))
    assert row.count() == 1
    background = row.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    same = page.locator("table.trial-compare tr", has=page.locator("th", has_text="state"))
    assert same.get_attribute("class") is None
    page.wait_for_function("() => document.querySelector('#trial-curves-plot').dataset.loaded === '1'")
    page.screenshot(path=str(ARTIFACTS / "trial-compare.png"), full_page=True)
    assert page.errors == [], page.errors
