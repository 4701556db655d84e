"""Conditional spaces through the API: create, refuse bad conditions, ask/tell, export/import, warm start."""

from __future__ import annotations

import csv
import io
import json

import pytest

from studies.jobs.builtins import SPACES, jenatton
from studies.models import Study, Trial
from studies.optimizers import SearchSpace
from tests.helpers import STUDY_BODY

pytestmark = pytest.mark.django_db

BODY = {**STUDY_BODY, "name": "tree", "job": "external", "space": SPACES["jenatton"], "max_trials": 8}


def _create(api, **changes):
    response = api.post("/api/studies/", {**BODY, **changes}, format="json")
    assert response.status_code == 201, response.json()
    return Study.objects.get(pk=response.json()["id"])


def _run_by_ask_and_tell(api, study, n) -> list[dict]:
    """Ask and tell `n` trials; what each ask handed out."""
    handouts = []
    for _ in range(n):
        handout = api.post(f"/api/studies/{study.pk}/ask/", {}, format="json").json()
        body = {"attempt_id": handout["attempt_id"], "value": jenatton(handout["params"])}
        assert api.post(f"/api/trials/{handout['trial_id']}/tell/", body, format="json").status_code == 200
        handouts.append(handout)
    return handouts


def test_a_tree_space_is_stored_and_read_back_with_its_conditions(api):
    study = _create(api)
    detail = api.get(f"/api/studies/{study.pk}/").json()
    assert detail["space"] == SPACES["jenatton"]
    assert study.space.spec() == SearchSpace.from_dict(SPACES["jenatton"])


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"nope": [0]}, "is not a parameter"),
        ({"x4": [0.5]}, "categorical or int"),
        ({"x2": [7]}, "not a value of parent"),
        ({"x2": [0], "x3": [0]}, "can never hold"),
        ({"x5": [0.5]}, "its own parent"),
    ],
)
def test_a_bad_condition_is_a_400_on_the_path_of_the_parameter(api, when, message):
    space = {**SPACES["jenatton"], "x5": {"type": "float", "low": -1.0, "high": 1.0, "when": when}}
    response = api.post("/api/studies/", {**BODY, "space": space}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["space.x5.when"])
    assert not Study.objects.filter(name="tree").exists()


def test_a_cycle_of_conditions_is_a_400_on_the_path_of_the_parameter_that_closes_it(api):
    space = {**SPACES["jenatton"], "x1": {"type": "categorical", "choices": [0, 1], "when": {"x2": [0]}}}
    response = api.post("/api/studies/", {**BODY, "space": space}, format="json")
    assert response.status_code == 400
    assert "form a cycle" in " ".join(response.json()["space.x1.when"])
    assert not Study.objects.filter(name="tree").exists()


def test_ask_hands_out_and_tell_records_exactly_the_active_parameters(api):
    study = _create(api, optimizer="tpe", start=True, max_parallel=1)
    handouts = _run_by_ask_and_tell(api, study, 8)
    space = study.space.spec()
    trials = list(study.trials.order_by("number"))
    assert [t.state for t in trials] == [Trial.State.COMPLETE] * 8
    assert [h["params"] for h in handouts] == [t.params for t in trials]
    for trial in trials:
        space.validate_params(trial.params)
        assert set(trial.params) == set(space.active_names(trial.params))
    listed = api.get(f"/api/studies/{study.pk}/trials/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {json.dumps(r["params"], sort_keys=True) for r in rows} == {
        json.dumps(t.params, sort_keys=True) for t in trials
    }


def test_an_export_imports_as_the_same_tree_and_trials(api):
    study = _create(api, start=True, max_parallel=1, max_trials=5)
    _run_by_ask_and_tell(api, study, 5)
    document = b"".join(api.get(f"/api/studies/{study.pk}/export.json").streaming_content)
    response = api.post("/api/studies/import/?name=copy", document, content_type="application/json")
    assert response.status_code == 201, response.json()
    copy = Study.objects.get(name="copy")
    assert copy.space.to_dict() == SPACES["jenatton"]
    assert sorted(copy.trials.values_list("number", "params")) == sorted(
        study.trials.values_list("number", "params")
    )


def test_the_csv_export_leaves_a_parameter_blank_where_its_trial_does_not_hold_it(api):
    study = _create(api, start=True, max_parallel=1, max_trials=6, optimizer="random")
    _run_by_ask_and_tell(api, study, 6)
    body = b"".join(api.get(f"/api/studies/{study.pk}/export.csv").streaming_content).decode()
    rows = {int(row["number"]): row for row in csv.DictReader(io.StringIO(body))}
    trials = list(study.trials.all())
    assert {len(t.params) for t in trials} == {4} and len({tuple(t.params) for t in trials}) > 1
    for trial in trials:
        cells = {name: rows[trial.number][f"param_{name}"] for name in SPACES["jenatton"]}
        assert cells == {name: str(trial.params.get(name, "")) for name in SPACES["jenatton"]}


def test_a_warm_start_keeps_the_trials_that_fit_a_narrower_tree(api):
    study = _create(api, start=True, max_parallel=1, max_trials=8)
    _run_by_ask_and_tell(api, study, 8)
    narrower = {**SPACES["jenatton"], "x1": {"type": "categorical", "choices": [0]}}
    del narrower["x3"], narrower["x6"], narrower["x7"], narrower["r9"]
    response = api.post(
        f"/api/studies/{study.pk}/warm-start/",
        {"name": "left", "space": narrower, "max_trials": 2},
        format="json",
    )
    assert response.status_code == 201, response.json()
    kept = [t.params for t in Study.objects.get(name="left").trials.all()]
    assert kept == [t.params for t in study.trials.order_by("number") if t.params["x1"] == 0]


def test_a_warm_start_or_an_import_with_a_bad_condition_is_a_400_on_its_path(api):
    study = _create(api, max_trials=2)
    cycle = {**SPACES["jenatton"], "x1": {"type": "categorical", "choices": [0, 1], "when": {"x2": [0]}}}
    warm = api.post(f"/api/studies/{study.pk}/warm-start/", {"name": "bad", "space": cycle}, format="json")
    document = json.loads(b"".join(api.get(f"/api/studies/{study.pk}/export.json").streaming_content))
    document["space"] = cycle
    imported = api.post(
        "/api/studies/import/?name=bad", json.dumps(document), content_type="application/json"
    )

    assert warm.status_code == 400 and "form a cycle" in " ".join(warm.json()["space.x1.when"])
    assert imported.status_code == 400 and "form a cycle" in " ".join(imported.json()["space.x1.when"])
    assert not Study.objects.filter(name="bad").exists()


def test_a_warm_start_into_a_tree_drops_the_values_its_conditions_make_inactive(api):
    flat = {
        "model": {"type": "categorical", "choices": ["a", "b"]},
        "c": {"type": "float", "low": 0.0, "high": 1.0},
    }
    study = _create(api, space=flat, start=True, max_parallel=1, max_trials=6, optimizer="random")
    for _ in range(6):
        handout = api.post(f"/api/studies/{study.pk}/ask/", {}, format="json").json()
        body = {"attempt_id": handout["attempt_id"], "value": handout["params"]["c"]}
        api.post(f"/api/trials/{handout['trial_id']}/tell/", body, format="json")
    tree = {**flat, "c": {**flat["c"], "when": {"model": ["a"]}}}
    response = api.post(
        f"/api/studies/{study.pk}/warm-start/",
        {"name": "as-tree", "space": tree, "max_trials": 1},
        format="json",
    )
    assert response.status_code == 201, response.json()
    kept = [t.params for t in Study.objects.get(name="as-tree").trials.order_by("number")]
    expected = [
        p if p["model"] == "a" else {"model": "b"} for p in study.trials.values_list("params", flat=True)
    ]
    assert {"model": "b"} in expected and sorted(map(str, kept)) == sorted(map(str, expected))


def test_a_recorded_result_holds_exactly_its_active_parameters(api):
    study = _create(api, max_trials=3)
    point = {"x1": 0, "x2": 1, "x5": 0.5, "r8": 0.25}

    def record(params: dict):
        body = {"params": params, "value": jenatton(point)}
        return api.post(f"/api/studies/{study.pk}/trials/", body, format="json")

    placeholder = record({**point, "x3": 0})
    lacking = record({name: value for name, value in point.items() if name != "x5"})
    recorded = record(point)

    assert placeholder.status_code == 400
    assert "['x3'] that their conditions make inactive" in placeholder.json()["params"][0]
    assert lacking.status_code == 400 and "lack parameter(s) ['x5']" in lacking.json()["params"][0]
    assert recorded.status_code == 201 and recorded.json()["params"] == point
    assert [t.params for t in study.trials.all()] == [point]
