"""In Chromium: the pages draw their plots under the Content Security Policy without a single violation,
and the HTML report opens from a file with the network cut off."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from studies import services
from studies.services import Outcome, WorkerIdentity
from tests.web.browser import ARGS, CHROMIUM

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Software WebGL, so that scattergl really draws: plotly's plain bundle would compile its shaders with
# Function() there, which `script-src 'self'` refuses ("script-src eval" violations).
WEBGL_ARGS = [a for a in ARGS if a != "--disable-gpu"] + [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
# Hands every violation Chromium sees to the test (a binding survives navigation, a page variable not).
WATCH = """
document.addEventListener('securitypolicyviolation',
  e => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI + ' on ' + location.pathname));
"""


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
        yield chromium
        chromium.close()


def _page(browser, errors: list[str], **options):
    """A page whose console errors, uncaught exceptions and CSP violations all land in `errors`."""
    page = browser.new_page(viewport={"width": 1300, "height": 900}, **options)
    page.expose_function("reportViolation", lambda text: errors.append(f"CSP: {text}"))
    page.add_init_script(WATCH)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(20_000)
    return page


@pytest.fixture
def finished(make_study):
    study = make_study(name="csp-study", max_trials=8, max_parallel=8)
    study.set_state("running")
    for i, trial_id in enumerate(services.schedule_trials(study.pk)):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w"))
        for step in range(3):
            services.record_metric(attempt.pk, step, 10.0 - step + i)
        services.finish_attempt(attempt.pk, Outcome("complete", value=float(i)))
    return study


def test_the_pages_draw_their_plots_without_a_csp_violation(live_server, browser, cast, finished):
    errors: list[str] = []
    page = _page(browser, errors)
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw-owner")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + finished.get_absolute_url())
    page.wait_for_function("() => document.querySelector('#history-plot').dataset.loaded === '1'")
    assert page.locator("#history-plot canvas").count() > 0  # WebGL traces drew
    with page.expect_response(lambda r: "/live/" in r.url):  # htmx polls the running study's header and table
        pass
    page.goto(live_server.url + reverse("trial-detail", args=[finished.pk, 1]))
    page.wait_for_function("() => document.querySelector('#curve-plot').dataset.loaded === '1'")
    urls = ["project-list", "token-list", "study-create", "study-compare", "worker-list", "study-import"]
    for url in map(reverse, urls):
        page.goto(live_server.url + url)
    assert errors == []


def test_the_report_opens_offline(live_server, browser, cast, finished, tmp_path):
    from django.test import Client

    client = Client()
    client.force_login(cast["viewer"])
    report = Path(tmp_path) / "report.html"
    report.write_bytes(client.get(reverse("study-report", args=[finished.pk])).content)
    errors: list[str] = []
    page = _page(browser, errors, offline=True)
    page.set_default_timeout(90_000)  # 5 MB of inlined script to parse, on a shared CI machine
    page.goto(report.as_uri())
    page.wait_for_selector("#plot-history .main-svg")
    assert page.locator(".plot .main-svg").count() >= 4
    assert "csp-study" in page.title()
    assert errors == []
