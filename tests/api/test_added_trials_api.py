"""POST /api/studies/{id}/trials/: hand-picked points queued in the budget, results recorded (HTTP)."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.builtins import SPACES
from studies.models import AuditEvent, Study, Trial
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

POINT = {"x1": 1.5, "x2": 2.5}


def _add(api, study, **body):
    return api.post(f"/api/studies/{study.pk}/trials/", body, format="json")


@pytest.fixture
def external_study(make_study):
    study = make_study(name="ext", job="external", space=SPACES["branin"], max_trials=3, max_parallel=1)
    services.start_study(study)
    return study


def test_a_hand_picked_point_is_queued_counted_and_pending_for_the_optimizer(api, make_study):
    study = make_study(max_trials=4)

    response = _add(api, study, params=POINT)

    assert response.status_code == 201
    assert response.json()["number"] == 1 and response.json()["state"] == "queued"
    history, pending = services.optimizer_inputs(study)
    assert (history, pending) == ([], [POINT])
    services.start_study(study)
    numbers = services.schedule_trials(study.pk)
    assert Trial.objects.filter(pk__in=numbers).count() == 1  # max_parallel 2: one slot was left
    assert study.trials.count() == 2


def test_an_external_worker_is_handed_the_hand_picked_point_first(api, external_study):
    _add(api, external_study, params=POINT)
    services.schedule_trials(external_study.pk)

    handout = api.post(f"/api/studies/{external_study.pk}/ask/", {}, format="json").json()

    assert handout["params"] == POINT and handout["number"] == 1


def test_a_point_outside_the_space_is_a_400_naming_the_parameter_and_stores_nothing(api, make_study):
    study = make_study()

    outside = _add(api, study, params={"x1": 99.0, "x2": 2.5})
    missing = _add(api, study, params={"x1": 1.0})
    huge = _add(api, study, params={"x1": 10**400, "x2": 2.5})

    assert outside.status_code == 400 and "'x1'" in outside.json()["params"][0]
    assert huge.status_code == 400 and "'x1'" in huge.json()["params"][0]
    assert missing.status_code == 400 and "x2" in missing.json()["params"][0]
    assert not study.trials.exists()


def test_a_repeat_with_the_same_request_id_returns_the_first_trial_and_a_different_body_conflicts(
    api, make_study
):
    study = make_study()

    first = _add(api, study, params=POINT, request_id="pick-1")
    again = _add(api, study, params=POINT, request_id="pick-1")
    other = _add(api, study, params={"x1": 0.0, "x2": 0.0}, request_id="pick-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert other.status_code == 409 and "request_id" in other.json()
    assert study.trials.count() == 1


def test_no_point_is_queued_beyond_the_budget_or_into_an_ended_study(api, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    assert _add(api, study, params=POINT).status_code == 201

    over = _add(api, study, params=POINT)
    ended = make_study(name="ended")
    services.cancel_study(ended)

    assert over.status_code == 409 and "budget of 1" in over.json()["study"][0]
    assert _add(api, ended, params=POINT).status_code == 409
    assert study.trials.count() == 1 and not ended.trials.exists()


def test_a_recorded_trial_keeps_its_value_times_and_curve_and_is_history(api, make_study):
    study = make_study()

    response = _add(
        api,
        study,
        params=POINT,
        value=0.25,
        started="2026-11-01T10:00:00Z",
        finished="2026-11-01T10:05:00Z",
        curve=[[0, 3.0], [1, 1.0], [2, 0.25]],
    )

    assert response.status_code == 201
    trial = Trial.objects.get(pk=response.json()["id"])
    assert (trial.state, trial.value, trial.duration_s) == ("complete", 0.25, 300.0)
    assert trial.curve() == [(0, 3.0), (1, 1.0), (2, 0.25)]
    assert services.optimizer_inputs(study) == ([(POINT, 0.25)], [])
    assert AuditEvent.objects.filter(study=study, action="record trial").exists()


def test_a_pruned_trial_takes_its_last_curve_value_and_a_failed_one_has_none(api, make_study):
    study = make_study()

    pruned = _add(api, study, params=POINT, state="pruned", curve=[[0, 5.0], [1, 4.0]]).json()
    failed = _add(api, study, params=POINT, state="failed", error="CUDA out of memory").json()

    assert (pruned["state"], pruned["value"]) == ("pruned", 4.0)
    assert (failed["state"], failed["value"], failed["error"]) == ("failed", None, "CUDA out of memory")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "complete"}, "value"),
        ({"value": "nan"}, "value"),
        ({"value": 1.0, "curve": [[0, 1.0], [0, 2.0]]}, "curve"),
        ({"value": 1.0, "curve": [[0]]}, "curve"),
        ({"value": 1.0, "state": "running"}, "state"),
        ({"values": [1.0, 2.0]}, "values"),
        ({"value": 1.0, "finished": "yesterday"}, "finished"),
        ({"value": 1.0, "score": 3}, "score"),
    ],
)
def test_a_bad_recorded_trial_is_a_400_naming_the_field_and_stores_nothing(api, make_study, body, field):
    study = make_study()

    response = _add(api, study, params=POINT, **body)

    assert response.status_code == 400 and field in response.json()
    assert not study.trials.exists()


def test_recording_into_a_running_study_completes_it_when_the_budget_is_spent(api, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    services.start_study(study)  # no worker runs here: nothing is scheduled before the recording

    assert _add(api, study, params=POINT, value=1.0).status_code == 201
    services.schedule_trials(study.pk)

    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED


def test_a_viewer_may_not_add_trials(cast, make_study):
    study = make_study()

    response = _add(token_client(cast["viewer"]), study, params=POINT)

    assert response.status_code in (403, 404)
    assert not study.trials.exists()


def test_a_study_with_objectives_records_every_objective_and_refuses_a_lone_value(api, make_study):
    study = make_study(
        name="mo",
        job="external",
        space=SPACES["branin"],
        metric="err",
        objectives=[{"metric": "err", "direction": "minimize"}, {"metric": "cost", "direction": "minimize"}],
    )

    as_list = _add(api, study, params=POINT, values=[0.5, 3.0])
    as_object = _add(api, study, params=POINT, values={"err": 0.25, "cost": 9.0})
    lone = _add(api, study, params=POINT, value=0.1)
    short = _add(api, study, params=POINT, values=[0.1])
    missing = _add(api, study, params=POINT, state="complete")

    assert as_list.status_code == 201 and as_object.status_code == 201
    assert as_list.json()["values"] == {"err": 0.5, "cost": 3.0} and as_list.json()["feasible"] is True
    assert as_object.json()["value"] == 0.25
    assert "value" in lone.json() and "values" in short.json() and "values" in missing.json()
    study.summary.refresh_from_db()
    assert sorted(row[0] for row in study.summary.pareto) == [1, 2]
    assert study.trials.count() == 2
