"""The Chromium page fixture shared by the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.browser import ARGS, ARTIFACTS, CHROMIUM


@pytest.fixture
def page(live_server, monkeypatch):
    """A Chromium page; console errors and uncaught exceptions are collected in `page.errors`."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        "Chromium is missing: run scripts/ensure-test-services.sh (apt-get install chromium)"
    )
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain, synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.set_default_timeout(20_000)
        yield page
        browser.close()
