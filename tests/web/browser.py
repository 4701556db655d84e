"""Chromium for the browser tests: where it is, how it starts, and logging in through the page."""

from __future__ import annotations

from tests.harness import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def fill_row(row, **fields: str) -> None:
    """Type into one row of the form's space editor: `type` is chosen from its list, every other
    field (name, low, high, choices, parent, parent_values, ...) typed into its box, in the order given."""
    for field, value in fields.items():
        if field == "type":
            row.locator("select[name$='-type']").select_option(value)
        else:
            row.locator(f"input[name$='-{field}']").fill(value)
