"""A two-objective study with a constraint, defined in the browser: its Pareto front draws live, a
click on a point of the front opens that trial, the team marks it as chosen, and the study list says so."""

from __future__ import annotations

import json
import re

import pytest

from studies import services
from studies.models import Study, Trial
from studies.services import Outcome, WorkerIdentity
from tests.web.browser import ARTIFACTS, fill_row, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OBJECTIVES = [{"metric": "error", "direction": "minimize"}, {"metric": "latency", "direction": "minimize"}]


def _define_in_the_form(page, base: str) -> None:
    page.goto(f"{base}/studies/new/")
    page.fill("#id_name", "trade-off")
    page.select_option("#id_job", "external")
    page.fill("#id_objectives", json.dumps(OBJECTIVES))
    page.fill("#id_constraints", '[{"metric": "memory", "max": 8}]')
    rows = page.locator("#param-table tbody tr:not(.hidden)")
    if rows.count() == 0:
        page.click("#add-param")
    row = rows.first
    fill_row(row, name="x", low="0", high="1")
    page.select_option("#id_optimizer", "nsga2")
    page.fill("#id_max_trials", "6")
    page.fill("#id_max_parallel", "6")
    page.check("#id_start")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))


def _tell_all(study: Study) -> None:
    """Six results an external worker would tell: x trades error against latency; x > 0.8 breaks memory."""
    services.schedule_trials(study.pk)
    for trial_id in study.trials.filter(state=Trial.State.QUEUED).values_list("pk", flat=True):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("gpu1"))
        x = attempt.trial.params["x"]
        values = {"error": x, "latency": (1 - x) ** 2, "memory": 10 * x}
        services.finish_attempt(attempt.pk, Outcome("complete", values=values), schedule=False)


def test_a_front_defined_in_the_browser_draws_with_infeasible_trials_apart(page, live_server, cast):
    base = live_server.url
    log_in(page, base, "editor", "pw-editor")
    _define_in_the_form(page, base)
    study = Study.objects.get(name="trade-off")
    assert study.objectives == OBJECTIVES and study.is_running

    _tell_all(study)
    page.reload()
    plot = page.locator("#pareto-plot")
    plot.scroll_into_view_if_needed()
    page.wait_for_function("el => el.dataset.loaded === '1'", arg=plot.element_handle())
    assert study.trials.filter(state=Trial.State.COMPLETE).count() == 6
    page.screenshot(path=str(ARTIFACTS / "pareto-front.png"), full_page=True)
    assert plot.locator(".scatterlayer .trace .point").count() == 6
    assert "lower is better" in plot.inner_text()

    front = Trial.objects.filter(study=study, feasible=True).order_by("values__error").first()
    _click_point(page, plot, front.number)
    page.wait_for_url(re.compile(rf".*/studies/{study.pk}/trials/{front.number}/$"))
    page.fill("#choice-note", "cheapest error under 8 GB")
    page.click("#choose button.primary")
    page.wait_for_url(re.compile(rf".*/studies/{study.pk}/$"))
    assert "cheapest error under 8 GB" in page.inner_text("#chosen-trial")

    page.goto(f"{base}/")
    chosen = page.locator("#study-rows td.chosen").first
    assert chosen.inner_text().startswith(f"#{front.number}") and "cheapest error" in chosen.inner_text()
    page.screenshot(path=str(ARTIFACTS / "pareto-chosen.png"), full_page=True)
    assert page.errors == []


def _click_point(page, plot, number: int) -> None:
    """Click the drawn point of trial `number` (its index in the front trace's customdata)."""
    index = plot.evaluate(
        "(el, n) => el.data.findIndex((t) => t.name === 'Pareto front') + ':' + "
        "el.data.find((t) => t.name === 'Pareto front').customdata.indexOf(n)",
        number,
    )
    trace, point = map(int, index.split(":"))
    box = plot.locator(".scatterlayer .trace").nth(trace).locator(".point").nth(point).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
