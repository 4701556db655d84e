"""The space editor in Chromium: a child row under a categorical row, shown as a tree, stored with its
condition; a job's conditional example space loads with its conditions; a row's parent field offers
only the rows above it, and rows are put parents first wherever a space arrives in another order."""

from __future__ import annotations

import re

import pytest

from studies.jobs import Job, registry
from studies.models import Study
from tests.web.browser import fill_row, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _row(page, name: str):
    return page.locator("#param-table tbody tr.param-row:not(.hidden)").filter(
        has=page.locator(f"input[name$='-name'][value='{name}']")
    )


def _offered_parents(page) -> list[str]:
    offered = page.locator("#param-parents option")
    return [offered.nth(i).get_attribute("value") for i in range(offered.count())]


def _shown_names(page) -> list[str]:
    rows = page.locator("#param-table tbody tr.param-row:not(.hidden)")
    return [rows.nth(i).locator("input[name$='-name']").input_value() for i in range(rows.count())]


def _record(params: dict, settings: dict, reporter) -> float:
    return 0.0


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

    assert _shown_names(page)[:3] == ["x1", "x2", "x3"]
    rows.nth(1).locator("input[name$='-parent']").focus()
    assert _offered_parents(page) == ["x1"], "neither the row itself nor the rows below it"

    page.click("#add-param")
    child = rows.last
    child.locator("input[name$='-parent']").focus()
    assert _offered_parents(page) == ["x1", "x2", "x3"]
    fill_row(child, name="x8", low="0", high="1", parent="x3", parent_values="1")
    assert child.get_attribute("data-depth") == "2"
    name_box = child.locator("input[name$='-name']").bounding_box()
    type_box = child.locator("select[name$='-type']").bounding_box()
    assert name_box["x"] > rows.first.locator("input[name$='-name']").bounding_box()["x"]  # indented
    assert name_box["x"] + name_box["width"] <= type_box["x"], "the indented name runs into the type"

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


def test_a_job_space_listing_a_child_before_its_parent_loads_with_the_parent_above(
    page, live_server, cast, monkeypatch
):
    space = {
        "leaf": {"type": "float", "low": 0.0, "high": 1.0, "when": {"depth": [2, 3]}},
        "lr": {"type": "float", "low": 0.001, "high": 1.0, "log": True},
        "depth": {"type": "int", "low": 1, "high": 3, "when": {"model": ["tree"]}},
        "model": {"type": "categorical", "choices": ["tree", "linear"]},
    }
    monkeypatch.setitem(registry(), "child_first", Job("child_first", _record, "child first", space))
    log_in(page, live_server.url, "editor", "pw-editor")
    page.goto(f"{live_server.url}/studies/new/")
    page.select_option("#id_job", "child_first")
    page.click("#load-job-space")
    assert _shown_names(page) == ["model", "depth", "leaf", "lr"]
    leaf = page.locator("#param-table tbody tr.param-row:not(.hidden)").nth(2)
    leaf.locator("input[name$='-parent']").focus()
    assert _offered_parents(page) == ["model", "depth"]
    assert page.errors == []


def test_a_form_shown_again_puts_a_parent_typed_below_its_child_above_it_and_stores_that_order(
    page, live_server, cast
):
    base = live_server.url
    log_in(page, base, "editor", "pw-editor")
    page.goto(f"{base}/studies/new/")
    rows = page.locator("#param-table tbody tr.param-row:not(.hidden)")
    fill_row(rows.first, name="leaf", low="0", high="1", parent="model", parent_values="a")
    page.click("#add-param")
    fill_row(rows.last, name="model", type="categorical", choices="a, b")
    page.click("button[type=submit].primary")  # no study name: the form comes back with the rows
    _row(page, "model").wait_for()
    assert _shown_names(page) == ["model", "leaf"]
    page.fill("#id_name", "typed-child-first")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    assert list(Study.objects.get(name="typed-child-first").space.to_dict()) == ["model", "leaf"]
    assert page.errors == []
