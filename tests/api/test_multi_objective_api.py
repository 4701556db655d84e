"""Studies with several objectives and constraints through the API: definition, ask/tell, results."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.multi_objective import SPACES
from studies.models import Study, Trial

pytestmark = pytest.mark.django_db

OBJECTIVES = [{"metric": "error", "direction": "minimize"}, {"metric": "latency_ms", "direction": "minimize"}]
CONSTRAINTS = [{"metric": "memory_gb", "max": 8}]
MO_BODY = {
    "name": "trade-off",
    "job": "external",
    "optimizer": "random",
    "objectives": OBJECTIVES,
    "constraints": CONSTRAINTS,
    "space": SPACES["gramacy"],
    "max_trials": 6,
    "max_parallel": 6,
}


def _create(api, **change):
    return api.post("/api/studies/", {**MO_BODY, **change}, format="json")


def _tell(api, handout, **values):
    body = {"attempt_id": handout["attempt_id"], "values": values}
    return api.post(f"/api/trials/{handout['trial_id']}/tell/", body, format="json")


def _ask(api, study_id):
    return api.post(f"/api/studies/{study_id}/ask/", {}, format="json").json()


def test_a_two_objective_study_with_a_constraint_is_created_and_read_back(api):
    response = _create(api)
    assert response.status_code == 201, response.json()
    body = api.get(f"/api/studies/{response.json()['id']}/").json()
    assert body["objectives"] == OBJECTIVES
    assert body["constraints"] == [{"metric": "memory_gb", "max": 8.0}]
    assert body["pareto"] == [] and body["best"] is None
    assert (body["metric"], body["direction"]) == ("error", "minimize")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"metric": "loss"}, "metric"),
        ({"objectives": []}, "objectives"),
        (
            {"objectives": [OBJECTIVES[0], {"metric": "error", "direction": "maximize"}]},
            "objectives.1.metric",
        ),
        ({"constraints": [{"metric": "error", "max": 1}]}, "constraints.0.metric"),
        ({"constraints": [{"metric": "memory_gb"}]}, "constraints.0"),
        ({"constraints": [{"metric": "memory_gb", "max": "lots"}]}, "constraints.0.max"),
        ({"constraints": [{"metric": "memory_gb", "max": 10**400}]}, "constraints.0.max"),
        ({"objectives": [{"metric": "error", "direction": "sideways"}]}, "objectives.0.direction"),
        ({"objectives": [{"metric": "err\x00or"}]}, "objectives.0.metric"),
        ({"objectives": [{"metric": " "}]}, "objectives.0.metric"),
        ({"pruner": "median"}, "pruner"),
        ({"optimizer": "cmaes"}, "optimizer"),
    ],
)
def test_a_bad_definition_is_a_400_under_its_path_and_stores_nothing(api, change, path):
    response = _create(api, **change)
    assert response.status_code == 400
    assert path in response.json(), response.json()
    assert not Study.objects.exists()


def test_constraints_without_objectives_are_refused(api):
    response = _create(api, objectives=None, metric="loss")
    assert "constraints" in response.json()


def test_told_values_give_values_feasibility_and_the_pareto_set(api):
    study_id = _create(api, start=True).json()["id"]
    results = [(1.0, 5.0, 4.0), (2.0, 2.0, 4.0), (0.5, 0.5, 9.0), (3.0, 3.0, 1.0)]
    for error, latency, memory in results:
        handout = _ask(api, study_id)
        assert _tell(api, handout, error=error, latency_ms=latency, memory_gb=memory).status_code == 200

    trials = {t["number"]: t for t in api.get(f"/api/studies/{study_id}/trials/").json()["results"]}
    assert trials[3]["values"] == {"error": 0.5, "latency_ms": 0.5, "memory_gb": 9.0}
    assert [trials[n]["feasible"] for n in (1, 2, 3, 4)] == [True, True, False, True]
    assert trials[1]["value"] == 1.0
    # trial 3 dominates all but breaks the memory limit; trial 4 is dominated by trial 2
    assert api.get(f"/api/studies/{study_id}/").json()["pareto"] == [1, 2]


def test_a_tell_missing_a_metric_is_a_400_and_changes_nothing(api):
    study_id = _create(api, start=True).json()["id"]
    handout = _ask(api, study_id)
    response = _tell(api, handout, error=1.0, latency_ms=2.0)
    assert response.status_code == 400 and "memory_gb" in str(response.json()["values"])
    with_nul = _tell(api, handout, error=1.0, latency_ms=2.0, memory_gb=1.0, **{"gpu\x00": 1.0})
    assert with_nul.status_code == 400 and "values" in with_nul.json()
    assert Trial.objects.get(pk=handout["trial_id"]).state == Trial.State.RUNNING
    plain = {"attempt_id": handout["attempt_id"], "value": 1.0}
    assert api.post(f"/api/trials/{handout['trial_id']}/tell/", plain, format="json").status_code == 400


def test_a_repeated_tell_is_accepted_and_a_different_one_is_a_conflict(api):
    study_id = _create(api, start=True).json()["id"]
    handout = _ask(api, study_id)
    assert _tell(api, handout, error=1.0, latency_ms=2.0, memory_gb=3.0).status_code == 200
    assert _tell(api, handout, error=1.0, latency_ms=2.0, memory_gb=3.0).status_code == 200
    assert _tell(api, handout, error=1.0, latency_ms=2.0, memory_gb=4.0).status_code == 409


def test_one_objective_under_constraints_reports_the_best_feasible_trial(api):
    body = {
        "objectives": [{"metric": "f", "direction": "minimize"}],
        "constraints": [{"metric": "c", "max": 0}],
    }
    study_id = _create(api, start=True, **body).json()["id"]
    for f, c in [(0.1, 1.0), (0.5, -1.0), (0.9, 0.0)]:
        assert _tell(api, _ask(api, study_id), f=f, c=c).status_code == 200
    study = api.get(f"/api/studies/{study_id}/").json()
    assert study["best"]["number"] == 2 and study["best"]["value"] == 0.5
    assert "pareto" not in study


def test_a_single_metric_study_keeps_its_api_shape(api, make_study):
    study = make_study(name="plain")
    body = api.get(f"/api/studies/{study.pk}/").json()
    assert not {"objectives", "constraints", "pareto"} & set(body)
    services.start_study(study)
    services.schedule_trials(study.pk)
    trial = study.trials.get(number=1)
    assert set(api.get(f"/api/studies/{study.pk}/trials/").json()["results"][0]) == {
        "id",
        "number",
        "state",
        "params",
        "value",
        "started",
        "finished",
        "n_attempts",
        "error",
    }
    assert trial.values is None and trial.feasible is None
