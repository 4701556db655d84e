"""In Chromium: a study page open while the study completes shows the analysis of its last results,
which a worker computes a window after they come, when the plots have stopped refreshing."""

from __future__ import annotations

import pytest

from studies import services
from studies.plots import analysis
from tests.helpers import run_trials
from tests.web.browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_open_study_page_shows_the_analysis_that_comes_after_the_study_completed(
    page, live_server, cast, make_study
):
    study = run_trials(make_study(max_trials=3, max_parallel=2), [3.0, 1.0])
    analysis.analyze(study)
    log_in(page, live_server.url, "viewer", "pw-viewer")
    page.goto(live_server.url + study.get_absolute_url())
    as_of = page.locator('[data-as-of-for="importance-plot"]')
    as_of.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('[data-as-of-for=importance-plot]').textContent === 'as of 2 trials'"
    )

    run_trials(study, [2.0])
    services.schedule_trials(study.pk)  # the budget spent: the study completes
    page.locator("h1 .state.completed").wait_for()
    page.wait_for_timeout(11_000)  # the importance plot's refresh (10 s) has read the study completed
    analysis.analyze(study)  # the worker's analysis of the last result

    page.wait_for_function(
        "() => document.querySelector('[data-as-of-for=importance-plot]').textContent === 'as of 3 trials'",
        timeout=15_000,
    )
    assert page.errors == []
