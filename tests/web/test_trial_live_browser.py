"""In Chromium: a running trial's page draws each new step of its learning curve in place (the same
plot, no reload) and shows the trial's end, then stops polling."""

from __future__ import annotations

import pytest

from studies import services
from studies.services import Outcome, WorkerIdentity
from tests.web.browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS_DRAWN = "n => (document.getElementById('curve-plot').data || [{x: []}])[0].x.length === n"


def test_a_running_trials_curve_grows_in_place_and_the_page_shows_its_end(
    page, live_server, cast, make_study
):
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    (trial_id,) = services.schedule_trials(study.pk)
    attempt = services.claim_trial(trial_id, WorkerIdentity.current("gpu1"))
    services.record_metric(attempt.pk, 1, 4.0)
    log_in(page, live_server.url, "viewer", "pw-viewer")
    page.goto(live_server.url + attempt.trial.get_absolute_url())
    page.wait_for_function(STEPS_DRAWN, arg=1)
    page.evaluate("document.getElementById('curve-plot').dataset.first = 'yes'")

    services.record_metric(attempt.pk, 2, 3.0)
    page.wait_for_function(STEPS_DRAWN, arg=2)
    assert page.evaluate("document.getElementById('curve-plot').dataset.first") == "yes", "drawn in place"

    services.finish_attempt(attempt.pk, Outcome("complete", value=2.5))
    page.locator("h1 .state.complete").wait_for()
    assert page.locator("#trial-live").get_attribute("hx-get") is None
    assert page.url.endswith(attempt.trial.get_absolute_url()) and page.errors == []
