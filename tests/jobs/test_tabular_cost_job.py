"""`tabular_mlp_cost`: a real training job with several metrics, defined from the form and run to its
results by the real services."""

from __future__ import annotations

import json
import math

import pytest
from django.urls import reverse

from studies import services
from studies.jobs import get_job, run_job
from studies.models import Study, StudySummary, Trial
from studies.services import Outcome, WorkerIdentity
from tests.helpers import study_form

OBJECTIVES = [
    {"metric": "validation_error", "direction": "minimize"},
    {"metric": "n_parameters", "direction": "minimize"},
]


class Quiet:
    def report(self, step, value):
        pass

    def should_prune(self):
        return False


def small(units: int, layers: int = 1) -> dict:
    return {"lr": 0.01, "units": units, "layers": layers, "l2": 1e-4, "batch_size": 256}


def test_it_returns_the_error_the_network_size_and_the_training_time():
    result = run_job("tabular_mlp_cost", small(16), {"epochs": 1}, Quiet())
    assert set(result) == {"validation_error", "n_parameters", "train_seconds"}
    assert 0.0 <= result["validation_error"] <= 1.0 and result["train_seconds"] > 0
    assert result["n_parameters"] == 40 * 16 + 16 + 16 * 10 + 10  # weights and biases of 40-16-10
    assert run_job("tabular_mlp_cost", small(64, 2), {"epochs": 1}, Quiet())["n_parameters"] > 826


def test_its_error_is_the_single_objective_jobs_error():
    params, settings = small(32), {"epochs": 2}
    assert run_job("tabular_mlp_cost", params, settings, Quiet())["validation_error"] == run_job(
        "tabular_mlp", params, settings, Quiet()
    )


def _space_fields(space: dict) -> dict:
    fields = {"param-TOTAL_FORMS": str(len(space))}
    for i, (name, spec) in enumerate(space.items()):
        fields |= {f"param-{i}-name": name, f"param-{i}-type": spec["type"]}
        fields |= {f"param-{i}-low": str(spec["low"]), f"param-{i}-high": str(spec["high"])}
        if spec.get("log"):
            fields[f"param-{i}-log"] = "on"
    return fields


@pytest.mark.django_db
def test_a_two_objective_study_of_it_is_created_from_the_form_and_runs_to_a_front(client, cast, project):
    job = get_job("tabular_mlp_cost")
    client.force_login(cast["editor"])
    data = study_form(
        project=str(project.pk),
        job="tabular_mlp_cost",
        job_settings='{"epochs": 1}',
        optimizer="tpe",
        max_trials="6",
        objectives=json.dumps(list(job.objectives)),
        **_space_fields(job.space),
    )
    assert client.post(reverse("study-create"), data).status_code == 302
    study = Study.objects.get(name="digits-random")
    assert study.objectives == OBJECTIVES and study.job == "tabular_mlp_cost"

    services.start_study(study)
    worker = WorkerIdentity.current("w1")
    while trial_ids := services.schedule_trials(study.pk):
        for trial_id in trial_ids:
            attempt = services.claim_trial(trial_id, worker)
            values = run_job(study.job, attempt.trial.params, study.job_settings, Quiet())
            services.finish_attempt(attempt.pk, Outcome("complete", values=values), schedule=False)
    trials = list(study.trials.all())
    assert len(trials) == 6 and all(t.state == Trial.State.COMPLETE for t in trials)
    assert all(math.isfinite(t.values["n_parameters"]) for t in trials)
    assert StudySummary.pareto_numbers(study)
