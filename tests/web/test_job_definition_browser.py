"""The form's "use the job's example space and objective" button in Chromium: a job with several
metrics fills the objectives and constraints too, and the study the form then creates has them; a
job with one metric clears them again."""

from __future__ import annotations

import json

import pytest

from studies.jobs import get_job
from studies.models import Study
from tests.web.browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _load(page, job: str) -> tuple[str, str]:
    page.select_option("#id_job", job)
    page.click("#load-job-space")
    return page.input_value("#id_objectives"), page.input_value("#id_constraints")


@pytest.mark.parametrize("name", ["zdt1", "dtlz2", "tabular_mlp_cost"])
def test_a_multi_metric_job_fills_its_objectives(page, live_server, cast, name):
    log_in(page, live_server.url, "editor", "pw-editor")
    page.goto(f"{live_server.url}/studies/new/")
    objectives, constraints = _load(page, name)
    assert json.loads(objectives) == list(get_job(name).objectives) and constraints == ""
    assert page.errors == []


def test_a_constrained_job_fills_its_constraints_and_the_study_keeps_them(page, live_server, cast):
    log_in(page, live_server.url, "editor", "pw-editor")
    page.goto(f"{live_server.url}/studies/new/")
    page.fill("#id_name", "gramacy-from-the-form")
    _load(page, "gramacy")
    assert _load(page, "digits_mlp") == ("", "")
    _objectives, constraints = _load(page, "gramacy")
    assert json.loads(constraints) == [{"metric": "c1", "max": 0.0}, {"metric": "c2", "max": 0.0}]
    page.uncheck("#id_start")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/studies/*/")
    study = Study.objects.get(name="gramacy-from-the-form")
    assert study.objectives == [{"metric": "f", "direction": "minimize"}]
    assert study.constraints == json.loads(constraints)
    assert sorted(study.space.to_dict()) == ["x1", "x2"]
    assert page.errors == []
