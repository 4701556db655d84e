"""Issue 14's "done means", walked as a person would: the svm / hgb / mlp model-selection space built in
the browser's space editor, run with gp and with tpe on real workers, and each branch seen in the
study page's tree, its plots (an inactive lane, a parent's importance with its branches) and the
trial page's "why this trial"."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from studies.jobs.model_selection import SPACE
from studies.models import Study, StudyAnalysis, Trial
from tests.harness import wait_for
from tests.web.browser import ARTIFACTS, fill_row, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

N_TRIALS = 7  # four start-up trials, then three of the model


def _row(page, name: str):
    """The visible row whose name field holds `name` (rows the script filled have no value attribute)."""
    rows = page.locator("#param-table tbody tr.param-row:not(.hidden)")
    for i in range(rows.count()):
        if rows.nth(i).locator("input[name$='-name']").input_value() == name:
            return rows.nth(i)
    raise AssertionError(f"no row named {name}")


def _build_the_space(page, base: str, optimizer: str) -> None:
    """The job's example space, then the SVM's `degree` removed and typed back by hand under its parent."""
    page.goto(f"{base}/studies/new/")
    page.fill("#id_name", f"models-{optimizer}")
    page.select_option("#id_job", "digits_models")
    page.click("#load-job-space")
    rows = page.locator("#param-table tbody tr.param-row:not(.hidden)")
    _row(page, "svm_degree").locator(".remove-param").click()
    assert rows.count() == len(SPACE) - 1
    page.click("#add-param")
    degree = rows.last
    fill_row(
        degree, name="svm_degree", type="int", low="2", high="5", parent="svm_kernel", parent_values="poly"
    )
    assert degree.get_attribute("data-depth") == "2"
    assert _row(page, "svm_C").get_attribute("data-depth") == "1"
    page.select_option("#id_optimizer", optimizer)
    page.fill(f"#id_opt__{optimizer}__n_startup", "4")
    page.fill("#id_max_trials", str(N_TRIALS))
    page.fill("#id_max_parallel", "2")
    page.check("#id_start")
    page.screenshot(path=str(ARTIFACTS / f"models-{optimizer}-form.png"))
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))


def _plot(page, base: str, study: Study, kind: str, **query) -> dict:
    url = f"{base}{reverse('study-plot', args=[study.pk, kind])}"
    response = page.request.get(url, params=query)
    assert response.ok, kind
    return response.json()["figure"]


@pytest.mark.parametrize("optimizer", ["gp", "tpe"])
def test_the_model_selection_space_built_in_the_browser_runs_and_every_branch_shows(
    page, live_server, cast, workers, optimizer
):
    base = live_server.url
    pool = [workers.start("w1"), workers.start("w2")]
    log_in(page, base, "editor", "pw-editor")
    _build_the_space(page, base, optimizer)
    study = Study.objects.get(name=f"models-{optimizer}")
    assert study.space.to_dict() == {name: study.space.to_dict()[name] for name in SPACE}
    assert study.space.to_dict()["svm_degree"]["when"] == {"svm_kernel": ["poly"]}

    def done() -> bool:
        study.refresh_from_db()
        return study.state == Study.State.COMPLETED

    # Each trial fits one small model (under a second alone, several with both cores busy).
    wait_for(done, 300, "the study to complete", interval=1, workers=pool)
    trials = list(study.trials.filter(state=Trial.State.COMPLETE))
    assert len(trials) == N_TRIALS
    space = study.space.spec()
    for trial in trials:
        space.validate_params(trial.params)
    models = {t.params["model"] for t in trials}
    assert len(models) >= 2, "the start alone covers more than one model"
    wait_for(
        lambda: StudyAnalysis.objects.filter(study=study, kind="importance", n_trials=N_TRIALS).exists(),
        120,
        "the worker's analysis of all trials",
        workers=pool,
    )

    page.reload()
    tree = page.locator("#space-tree").inner_text()
    for model in models:
        n = sum(t.params["model"] == model for t in trials)
        assert f"when model = {model}: {n} trial" in tree
    plots = page.locator(".plot[data-src]")
    for i in range(plots.count()):
        plots.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("el => el.dataset.loaded === '1'", arg=plots.nth(i).element_handle())
    page.screenshot(path=str(ARTIFACTS / f"models-{optimizer}-study.png"), full_page=True)

    axes = {d["label"]: d for d in _plot(page, base, study, "parallel")["data"][0]["dimensions"]}
    absent = [name for name in SPACE if any(name not in t.params for t in trials)]
    assert absent and all(axes[name]["ticktext"][0] == "inactive" for name in absent if name in axes)
    importance = _plot(page, base, study, "importance")
    assert any(t.get("name", "").endswith("with its branches") for t in importance["data"])
    contour = _plot(page, base, study, "contour")
    notes = " ".join(a["text"] for a in contour["layout"].get("annotations", []))
    assert (contour["data"] and contour["data"][0]["type"] == "contour") or "never active together" in notes

    page.goto(f"{base}{trials[-1].get_absolute_url()}")
    why = page.inner_text("section.why")
    assert f"model = {trials[-1].params['model']}" in why and "finished trials had taken it" in why
    assert page.errors == [], page.errors
