"""In Chromium: a command-job study and an external-workers study with ASHA, created in the form, run to
completion (real worker processes; the external one from the Python client in another process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from studies.models import ApiToken, CommandJob, Study, Trial
from tests.harness import ROOT, wait_for
from tests.web.browser import fill_row, log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = ROOT / "tests" / "fixtures"


def _create_study(page, base: str, name: str, job: str, trials: int, parallel: int, pruner: str) -> Study:
    page.goto(f"{base}/studies/new/")
    page.fill("#id_name", name)
    page.select_option("#id_job", job)
    page.fill("#id_job_settings", "{}")
    page.click("#add-param")
    for i, (param, low, high) in enumerate((("x1", "-5", "10"), ("x2", "0", "15"))):
        row = page.locator(f"tr.param-row:has(input[name='param-{i}-name'])")
        fill_row(row, name=param, type="float", low=low, high=high)
    page.select_option("#id_pruner", pruner)
    if pruner == "asha":
        page.fill("#id_pruner__asha__min_resource", "1")
        page.fill("#id_pruner__asha__reduction_factor", "3")
    page.fill("#id_max_trials", str(trials))
    page.fill("#id_max_parallel", str(parallel))
    page.check("#id_start")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    return Study.objects.get(name=name)


def test_a_command_job_study_and_an_external_study_with_asha_run_from_the_browser(
    page, live_server, cast, workers, tmp_path
):
    argv = [sys.executable, str(FIXTURES / "train_cli.py"), "{params_args}"]
    CommandJob.objects.create(
        name="train", argv=argv, params=["x1", "x2"], env={"TRAIN_MODE": "lines"}, created_by=cast["staff"]
    )
    base = live_server.url
    pool = [workers.start("w1"), workers.start("w2")]
    log_in(page, base, "editor", "pw-editor")

    command_study = _create_study(page, base, "cli", "command:train", 4, 2, "none")
    external_study = _create_study(page, base, "ext", "external", 6, 1, "asha")
    assert external_study.pruner == "asha" and external_study.pruner_settings["reduction_factor"] == 3
    _token, key = ApiToken.issue(cast["editor"])
    with open(tmp_path / "client.log", "w") as out:
        client = subprocess.Popen(
            [sys.executable, str(FIXTURES / "external_worker.py"), base, str(external_study.pk)],
            env={**os.environ, "HPOWEB_TOKEN": key},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert client.wait(timeout=180) == 0, (tmp_path / "client.log").read_text()
        finally:
            if client.poll() is None:
                client.kill()
    wait_for(
        lambda: Study.objects.get(pk=command_study.pk).state == Study.State.COMPLETED,
        180,
        "the command-job study to complete",
        workers=pool,
    )

    external_study.refresh_from_db()
    assert external_study.state == Study.State.COMPLETED
    pruned = external_study.trials.filter(state=Trial.State.PRUNED).first()
    assert pruned is not None, "ASHA prunes the worse half of six Branin trials"
    page.goto(f"{base}{pruned.get_absolute_url()}")
    assert page.inner_text("pre.error-text").startswith("ASHA rung 0 (step 1)")

    trial = command_study.trials.get(number=1)
    assert trial.state == Trial.State.COMPLETE
    page.goto(f"{base}{trial.get_absolute_url()}")
    assert "starting training" in page.inner_text("pre.job-log")
    log = page.request.get(f"{base}{reverse('attempt-log', args=[command_study.pk, 1, 1])}")
    assert log.ok and log.text().startswith("starting training")
    assert page.errors == [], page.errors
