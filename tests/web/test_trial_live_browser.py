"""In Chromium: a running trial's page draws each new step of its learning curve in place (the same
plot, no reload) and shows the trial's end, then stops polling."""

from __future__ import annotations

import pytest

from studies import services
from studies.services import Outcome, WorkerIdentity
from tests.web.browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS_DRAWN = "n => ((document.getElementById('curve-plot').data || [])[0] || {x: []}).x.length === n"


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


def test_an_earlier_attempts_reason_opened_by_the_reader_stays_open_while_the_page_refreshes(
    page, live_server, cast, make_study
):
    study = make_study(max_trials=1, max_parallel=1, max_retries=1)
    study.set_state("running")
    (trial_id,) = services.schedule_trials(study.pk)
    first = services.claim_trial(trial_id, WorkerIdentity.current("gpu1"))
    services.finish_attempt(first.pk, Outcome("failed", reason="Traceback:\n  fit()\nRuntimeError: CUDA OOM"))
    services.schedule_trials(study.pk)
    second = services.claim_trial(trial_id, WorkerIdentity.current("gpu2"))
    log_in(page, live_server.url, "viewer", "pw-viewer")
    page.goto(live_server.url + second.trial.get_absolute_url())
    page.locator("details.reason summary").click()

    services.record_metric(second.pk, 1, 4.0)
    page.wait_for_function(STEPS_DRAWN, arg=1)
    assert page.locator("details.reason").get_attribute("open") is not None
    assert page.errors == []


def test_a_trial_page_whose_study_was_deleted_reloads_to_the_not_found_page(
    page, live_server, cast, make_study, settings
):
    settings.DEBUG = False  # the 404 page a user sees
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    (trial_id,) = services.schedule_trials(study.pk)
    attempt = services.claim_trial(trial_id, WorkerIdentity.current("gpu1"))
    log_in(page, live_server.url, "viewer", "pw-viewer")
    page.goto(live_server.url + attempt.trial.get_absolute_url())
    page.locator("#trial-live").wait_for()

    study.delete()

    page.locator("#not-found").wait_for(timeout=15_000)  # the next poll (3 s) reloads the page
    assert page.url.endswith(attempt.trial.get_absolute_url())
