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


def test_a_team_member_finds_a_study_by_tag_filters_it_compares_two_trials_and_the_rerun(
    page, live_server, cast, make_study
):
    """The issue's "done means", walked in the browser as a viewer of the project."""
    tagged = run_trials(make_study(name="sweep-w48", max_trials=5, max_parallel=5), [5.0, 1.0, 4.0, 2.0, 3.0])
    tagged.tags.create(name="week-48")
    rerun = run_trials(make_study(name="sweep-w48-rerun", seed=7, max_trials=2, max_parallel=2), [2.5, 1.5])
    log_in(page, live_server.url, "viewer", "pw-viewer")

    page.goto(live_server.url + tagged.get_absolute_url())
    page.click("a.tag:text('week-48')")
    page.wait_for_url(re.compile(r".*/\?tag=week-48$"))
    assert page.locator("table.grid tbody tr").count() == 1
    page.click(f"a:text('{tagged.name}')")

    page.fill("#trial-filter input[name=filter]", "value < 4.5")
    page.click("#trial-filter button")
    page.wait_for_url(re.compile(r".*filter=value\+%3C\+4\.5.*"))
    page.click("#columns-choice summary")
    page.uncheck("#columns-choice input[value=worker]")
    page.uncheck("#columns-choice input[value=duration]")
    page.click("#columns-choice button")
    page.wait_for_url(re.compile(r".*cols=.*filter=value.*|.*filter=value.*cols=.*"))
    headers = page.locator("table.leaderboard thead th").all_inner_texts()
    assert headers[2:] == ["state", "loss", "x1", "x2"], headers
    assert page.locator("table.leaderboard tbody tr").count() == 4
    page.click("#columns-choice summary")
    page.screenshot(path=str(ARTIFACTS / "leaderboard-columns.png"))
    csv_link = page.get_attribute("#filtered-csv", "href")
    assert "filter=value" in csv_link and "cols=" in csv_link

    best_two = list(tagged.trials.completed().leaderboard(tagged.direction)[:2])
    boxes = page.locator("input.pick-trial")
    assert [boxes.nth(i).get_attribute("value") for i in (0, 1)] == [str(t.pk) for t in best_two]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("#trial-picks button[type=submit]")
    page.wait_for_url(re.compile(r".*/trials/compare/\?ids=.*"))
    assert page.locator("table.trial-compare tr.differs", has=page.locator("th", has_text="x1")).count() == 1
    assert (
        page.locator("table.trial-compare tr.differs", has=page.locator("th", has_text="loss")).count() == 1
    )

    page.goto(live_server.url + "/studies/compare/")
    page.check(f"input[name=studies][value='{tagged.pk}']")
    page.check(f"input[name=studies][value='{rerun.pk}']")
    page.click("form.compare-form button.primary")
    page.wait_for_url(re.compile(r".*/studies/compare/\?.*studies=.*"))
    differing = page.locator("table.study-diff tr.differs th").all_inner_texts()
    assert "seed" in differing and "x1" not in differing, differing
    page.screenshot(path=str(ARTIFACTS / "done-means-compare.png"), full_page=True)
    assert page.errors == [], page.errors
