"""The space editor in Chromium: a child row under a categorical row, shown as a tree, stored with its
condition; a job's conditional example space loads with its conditions."""

from __future__ import annotations

import re

import pytest

from studies.models import Study
from tests.web.browser import fill_row, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _row(page, name: str):
    return page.locator("#param-table tbody tr.param-row:not(.hidden)").filter(
        has=page.locator(f"input[name$='-name'][value='{name}']")
    )


def test_a_child_row_set_under_its_parent_is_indented_and_stored_with_its_condition(page, live_server, cast):
    base = live_server.url
    log_in(page, base, "editor", "pw-editor")
    page.goto(f"{base}/studies/new/")
    page.fill("#id_name", "tree-in-browser")
    page.select_option("#id_job", "jenatton")
    page.click("#load-job-space")
    rows = page.locator("#param-table tbody tr.param-row:not(.hidden)")
    depths = {
        rows.nth(i).locator("input[name$='-name']").input_value(): rows.nth(i).get_attribute("data-depth")
        for i in range(rows.count())
    }
    assert depths == {
        "x1": "0",
        "x2": "1",
        "x3": "1",
        "x4": "2",
        "x5": "2",
        "x6": "2",
        "x7": "2",
        "r8": "1",
        "r9": "1",
    }

    offered = page.locator("#param-parents option")
    assert [offered.nth(i).get_attribute("value") for i in range(offered.count())] == ["x1", "x2", "x3"]

    page.click("#add-param")
    child = rows.last
    fill_row(child, name="x8", low="0", high="1", parent="x3", parent_values="1")
    assert child.get_attribute("data-depth") == "2"

    # A row under two parents sits below the deeper one; one list of values for two parents is refused
    # on that row, and the row keeps what was typed.
    page.click("#add-param")
    both = rows.last
    fill_row(both, name="x9", type="categorical", choices="a, b", parent="x1; x2", parent_values="0")
    assert both.get_attribute("data-depth") == "2"
    assert both.locator("input[name$='-name']").get_attribute("title") == "under x1 and x2"
    page.click("button[type=submit].primary")
    bad = _row(page, "x9")
    assert "one list of values per parent" in bad.locator("td.has-error em.error").inner_text()
    assert bad.get_attribute("data-depth") == "2"
    assert not Study.objects.filter(name="tree-in-browser").exists()
    bad.locator("input[name$='-parent_values']").fill("0; 1")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    space = Study.objects.get(name="tree-in-browser").space.to_dict()
    assert space["x8"]["when"] == {"x3": [1]} and space["x4"]["when"] == {"x2": [0]}
    assert space["x9"]["when"] == {"x1": [0], "x2": [1]}
    assert "also when" in page.locator("#space-tree").inner_text()
    assert page.errors == []
