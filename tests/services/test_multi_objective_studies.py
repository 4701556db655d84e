"""A study with objectives through the real services: results, failures, analysis, export/import."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studies import services
from studies.definition import check_definition
from studies.exports import json_chunks
from studies.imports import import_study, read_document, warm_start
from studies.jobs import run_job
from studies.jobs.multi_objective import SPACES
from studies.models import Study, StudyAnalysis, StudySummary, Trial
from studies.objectives import front_rows
from studies.plots.analysis import analyze
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

WORKER = WorkerIdentity.current("w1")


class Silent:
    def report(self, step, value):
        pass

    def should_prune(self):
        return False


def _study(cast, **change) -> Study:
    data = {
        "name": "zdt",
        "job": "zdt1",
        "optimizer": "nsga2",
        "objectives": [{"metric": "f1", "direction": "minimize"}, {"metric": "f2", "direction": "minimize"}],
        "constraints": [{"metric": "memory", "max": 8.0}],
        "space": SPACES["zdt1"],
        "max_trials": 12,
        "max_parallel": 3,
        **change,
    }
    definition = check_definition(cast["owner"], data)
    return services.create_study(cast["owner"], definition.space, definition.study_fields(), start=True)


def measure(params: dict) -> dict:
    """ZDT1's objectives and a memory use the constraint caps at 8."""
    return {**run_job("zdt1", params, {}, Silent()), "memory": 10 * params["x2"]}


def _run_all(study: Study, result=measure) -> Study:
    """Claim and finish every trial the study schedules, as a worker would, until none is left."""
    while trial_ids := services.schedule_trials(study.pk):
        for trial_id in trial_ids:
            attempt = services.claim_trial(trial_id, WORKER)
            outcome = Outcome("complete", values=result(attempt.trial.params))
            services.finish_attempt(attempt.pk, outcome, schedule=False)
    study.refresh_from_db()
    return study


def test_a_constrained_two_objective_study_runs_its_budget_with_values_and_feasibility(cast):
    study = _run_all(_study(cast))

    assert study.state == Study.State.COMPLETED
    trials = list(study.trials.order_by("number"))
    assert len(trials) == 12 and all(t.state == Trial.State.COMPLETE for t in trials)
    for trial in trials:
        assert trial.values == pytest.approx(measure(trial.params))
        assert trial.value == trial.values["f1"] and trial.feasible == (trial.values["memory"] <= 8.0)
    front = StudySummary.pareto_numbers(study)
    assert front and all(trials[n - 1].feasible for n in front)


def test_a_result_missing_an_objective_fails_the_trial_and_names_the_metric(cast):
    study = _run_all(_study(cast, max_retries=0, max_trials=3), result=lambda p: {"f1": 0.5})

    trial = study.trials.first()
    assert trial.state == Trial.State.FAILED and "'f2'" in trial.error
    assert trial.values is None


def test_the_analysis_of_a_study_with_objectives_is_drawn_for_its_first_objective(cast):
    study = _run_all(_study(cast))
    assert analyze(study) == 12
    assert StudyAnalysis.objects.filter(study=study, kind="importance").exists()


def test_export_then_import_keeps_objectives_constraints_and_every_value(cast, project):
    study = _run_all(_study(cast))
    document = read_document("".join(json_chunks(study)))
    copy = import_study(cast["owner"], project, document, name="copy")

    assert (copy.objectives, copy.constraints) == (study.objectives, study.constraints)
    assert list(copy.trials.order_by("number").values_list("values", "feasible")) == list(
        study.trials.order_by("number").values_list("values", "feasible")
    )
    assert StudySummary.pareto_numbers(copy) == StudySummary.pareto_numbers(study)
    assert json.loads(json.dumps(document["study"]["objectives"])) == study.objectives


def test_a_warm_start_keeps_the_objectives_and_the_values_of_the_copied_trials(cast):
    study = _run_all(_study(cast))
    copy = warm_start(cast["owner"], study, {"name": "again", "max_trials": 4})

    assert copy.objectives == study.objectives
    assert copy.trials.filter(values__isnull=True).count() == 0
    assert StudySummary.pareto_numbers(copy) == StudySummary.pareto_numbers(study)


def test_a_warm_start_judges_copied_trials_by_its_own_constraints(cast):
    study = _run_all(_study(cast))
    copy = warm_start(
        cast["owner"],
        study,
        {"name": "tighter", "max_trials": 4, "constraints": [{"metric": "memory", "max": 2.0}]},
    )

    trials = list(copy.trials.order_by("number"))
    assert len(trials) == 12
    assert [t.feasible for t in trials] == [t.values["memory"] <= 2.0 for t in trials]
    assert any(t.values["memory"] > 2.0 for t in trials)  # the check above can tell old from new
    assert all(trials[n - 1].values["memory"] <= 2.0 for n in StudySummary.pareto_numbers(copy))


def test_a_warm_start_takes_each_trials_value_of_its_own_first_objective(cast):
    study = _run_all(_study(cast))
    objectives = [{"metric": "f2", "direction": "minimize"}]
    copy = warm_start(cast["owner"], study, {"name": "f2 only", "max_trials": 4, "objectives": objectives})

    assert [t.value for t in copy.trials.order_by("number")] == [
        t.values["f2"] for t in study.trials.order_by("number")
    ]


def test_a_warm_start_leaves_out_trials_that_lack_a_metric_its_constraints_need(cast):
    study = _run_all(_study(cast))
    constraints = [{"metric": "latency", "max": 1.0}]
    copy = warm_start(cast["owner"], study, {"name": "latency", "max_trials": 4, "constraints": constraints})

    assert copy.trials.count() == 0 and copy.max_trials == 4


def test_the_summarys_pareto_set_equals_a_recount_after_every_result(cast):
    """Results arrive out of order, with ties, a maximised objective and broken constraints: the set
    kept result by result is the one a full read finds."""
    objectives = [{"metric": "f1", "direction": "minimize"}, {"metric": "f2", "direction": "maximize"}]
    study = _study(cast, objectives=objectives, max_trials=40, max_parallel=4)
    rng = np.random.default_rng(3)
    while trial_ids := services.schedule_trials(study.pk):
        attempts = [services.claim_trial(trial_id, WORKER) for trial_id in trial_ids]
        for attempt in reversed(attempts):
            f1, noise, memory = (float(v) for v in rng.integers(0, 6, size=3))  # small integers: ties
            values = {"f1": f1, "f2": f1 + noise % 3, "memory": memory * 2}  # a larger f2 costs f1
            services.finish_attempt(attempt.pk, Outcome("complete", values=values), schedule=False)
            assert StudySummary.objects.get(study=study).pareto == front_rows(study)
    assert len(StudySummary.pareto_numbers(study)) > 1
