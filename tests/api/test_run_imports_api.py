"""POST /api/studies/{id}/trials/import/: W&B runs (or a spreadsheet's rows) recorded as trials (HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studies import services
from studies.models import Trial
from tests.conftest import empty_broker, take_messages
from tests.helpers import MEMORY_LIMIT, TWO_OBJECTIVES, WANDB_RUNS, token_client, wandb_study

pytestmark = pytest.mark.django_db


def _import(api, study, text: str):
    return api.post(f"/api/studies/{study.pk}/trials/import/", text.encode(), content_type="text/csv")


def test_wandb_runs_become_complete_and_failed_trials_and_running_ones_are_skipped(api, make_study):
    study = wandb_study(make_study)

    response = _import(api, study, WANDB_RUNS)

    assert response.status_code == 201
    assert response.json() == {"added": 3, "already_there": 0, "skipped": 1, "trials": [1, 2, 3]}
    trials = {t.number: t for t in study.trials.all()}
    assert (trials[1].state, trials[1].value) == (Trial.State.COMPLETE, 0.42)
    assert trials[1].params == {"lr": 0.01, "batch_size": 64, "optimizer": "adam"}
    assert trials[1].started == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert trials[1].duration_s == 300.0
    assert (trials[2].state, trials[2].value, trials[2].note) == (Trial.State.FAILED, None, "OOM at epoch 3")
    assert trials[3].params == {"lr": 0.3, "batch_size": 128, "optimizer": "=1+1"}
    history = [(trials[1].params, 0.42), (trials[2].params, None), (trials[3].params, 0.35)]
    assert services.optimizer_inputs(study) == (history, [])  # what the optimizer learns from
    best = api.get(f"/api/studies/{study.pk}/").json()["best"]
    assert (best["number"], best["value"]) == (3, 0.35)


def test_a_formula_looking_cell_is_stored_as_its_text(api, make_study):
    study = wandb_study(make_study)

    _import(api, study, WANDB_RUNS)

    trial = study.trials.get(number=3)
    assert trial.params["optimizer"] == "=1+1"
    assert trial.note == "=cmd|' /C calc'!A0"


def test_a_bad_row_refuses_the_whole_file_naming_every_bad_row_and_stores_nothing(api, make_study):
    study = wandb_study(make_study)
    rows = WANDB_RUNS.splitlines()
    rows[1] = rows[1].replace(",0.01,64,", ",3.0,64,")  # lr above the space's high
    rows[4] = rows[4].replace(",0.35,0.91", ",,0.91")  # a finished run without its val_loss
    rows.append("late-owl-7,finished,-,ada,,2026-11-01T12:00:00Z,10,abc123,0.01,64,rmsprop,0.5,0.8")

    response = _import(api, study, "\n".join(rows))

    assert response.status_code == 400
    problems = response.json()["rows"]
    assert len(problems) == 3
    assert problems[0].startswith("row 2: ") and "'lr': 3.0 is outside [0.0001, 1.0]" in problems[0]
    assert problems[1] == "row 5: no value for the metric val_loss"
    assert problems[2].startswith("row 6: parameter 'optimizer': 'rmsprop' is not one of the choices")
    assert not study.trials.exists()


def test_a_second_import_of_the_same_file_adds_only_new_runs(api, make_study):
    study = wandb_study(make_study)
    _import(api, study, WANDB_RUNS)
    later = WANDB_RUNS.replace("brave-moon-6,running", "brave-moon-6,finished")

    again = _import(api, study, WANDB_RUNS)
    finished_since = _import(api, study, later)

    assert again.status_code == 200
    assert again.json() == {"added": 0, "already_there": 3, "skipped": 1, "trials": []}
    assert finished_since.json() == {"added": 1, "already_there": 3, "skipped": 0, "trials": [4]}
    assert study.trials.count() == 4


def test_a_run_imported_before_with_other_values_is_a_409_naming_its_row(api, make_study):
    study = wandb_study(make_study)
    _import(api, study, WANDB_RUNS)

    changed = _import(api, study, WANDB_RUNS.replace(",0.42,0.88", ",0.4,0.88"))

    assert changed.status_code == 409
    assert changed.json()["rows"][0].startswith("row 2: this run was imported before with other values")
    assert study.trials.count() == 3 and study.trials.get(number=1).value == 0.42


def test_a_spreadsheet_without_wandb_columns_imports_and_its_rows_are_not_repeated(api, make_study):
    study = wandb_study(make_study)
    sheet = "optimizer,lr,batch_size,val_loss\nsgd,0.05,32.0,1.5\nTRUE,0.05,32,1.5\n"

    first = _import(api, study, sheet.replace("TRUE", "adam"))
    second = _import(api, study, sheet.replace("TRUE", "adam"))

    assert first.json()["added"] == 2 and second.json()["added"] == 0
    assert study.trials.get(number=1).params == {"optimizer": "sgd", "lr": 0.05, "batch_size": 32}


def test_a_file_without_the_metric_column_or_over_the_budget_is_refused(api, make_study):
    study = wandb_study(make_study, max_trials=2)

    no_metric = _import(api, study, "lr,batch_size,optimizer\n0.01,64,adam\n")
    over = _import(api, study, WANDB_RUNS)

    assert no_metric.status_code == 400
    assert no_metric.json() == {"file": ["no column for the metric 'val_loss'"]}
    assert over.status_code == 409 and "room for 2" in over.json()["study"][0]
    assert not study.trials.exists()


def test_an_uploaded_file_is_read_and_one_over_a_mebibyte_is_a_413(api, make_study):
    study = wandb_study(make_study)
    url = f"/api/studies/{study.pk}/trials/import/"

    sent = api.post(url, {"file": SimpleUploadedFile("runs.csv", WANDB_RUNS.encode())}, format="multipart")
    huge = _import(api, study, WANDB_RUNS + "x" * 1024 * 1024)

    assert sent.status_code == 201 and sent.json()["added"] == 3
    assert huge.status_code == 413 and "1 MiB" in huge.json()["file"][0]


def test_a_viewer_may_not_import_runs(cast, make_study):
    study = wandb_study(make_study)

    response = _import(token_client(cast["viewer"]), study, WANDB_RUNS)

    assert response.status_code in (403, 404)
    assert not study.trials.exists()


def test_a_study_with_objectives_imports_every_objective_and_constraint_metric(api, make_study):
    study = wandb_study(make_study, metric="error", objectives=TWO_OBJECTIVES, constraints=MEMORY_LIMIT)
    sheet = "Name,lr,batch_size,optimizer,error,latency,memory\n"
    sheet += "r1,0.01,64,adam,0.2,3.5,9\nr2,0.02,64,sgd,0.3,1.5,4\n"

    response = _import(api, study, sheet)

    assert response.status_code == 201
    first, second = study.trials.order_by("number")
    assert (first.values, first.feasible) == ({"error": 0.2, "latency": 3.5, "memory": 9.0}, False)
    assert (second.value, second.feasible) == (0.3, True)


def test_a_conditional_parameter_may_be_empty_on_the_branch_that_does_not_use_it(api, make_study):
    space = {
        "optimizer": {"type": "categorical", "choices": ["adam", "sgd"]},
        "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": ["sgd"]}},
    }
    study = wandb_study(make_study, space=space)
    sheet = "optimizer,momentum,val_loss\nadam,,0.5\nsgd,0.9,0.4\nsgd,,0.3\n"

    response = _import(api, study, sheet)

    assert response.json() == {"rows": ["row 4: no value for the parameter momentum"]}
    _import(api, study, sheet.rsplit("sgd,,0.3", 1)[0])
    assert [t.params for t in study.trials.order_by("number")] == [
        {"optimizer": "adam"},
        {"optimizer": "sgd", "momentum": 0.9},
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the file is empty"),
        (
            b"lr;batch_size;optimizer;val_loss\n0,01;64;adam;0,4\n",
            "the header is a single column: separate the columns with commas",
        ),
        ("lr,val_loss\n0.5,1\n".encode("utf-16"), "not UTF-8 text"),
        (
            b"lr,batch_size,optimizer,val_loss\n0.01,64,adam,0.4,extra\n",
            "row 2: 5 cells, but the header names 4",
        ),
        (
            b"LR,batch_size,optimizer,Val_Loss\n0.01,64,adam,0.4\n",  # named once for the file, not per row
            "column 'LR' is not 'lr': names are case-sensitive column 'Val_Loss' is not 'val_loss'",
        ),
        (
            b"lr,batch_size,optimizer,val_loss\n0.01,64.5,adam,0.4\n",
            "row 2: parameter 'batch_size': 64.5 is not",
        ),
        (
            b"lr,batch_size,optimizer,val_loss,Created\n0.01,64,adam,0.4,soon\n",
            "row 2: Created 'soon' is not",
        ),
        (
            b"lr,batch_size,optimizer,val_loss,Created,Runtime\n0.01,64,adam,0.4,9999-12-31T23:59Z,120\n",
            "row 2: Created '9999-12-31T23:59Z' (with its Runtime) is outside the years 1 to 9999",
        ),
        (
            b"lr,batch_size,optimizer,val_loss,Created\n0.01,64,adam,0.4,0001-01-01T00:00+05:00\n",
            "row 2: Created '0001-01-01T00:00+05:00' (with its Runtime) is outside",
        ),
    ],
)
def test_a_file_hpoweb_cannot_read_is_refused_with_the_reason(api, make_study, body, reason):
    study = wandb_study(make_study)

    response = api.post(f"/api/studies/{study.pk}/trials/import/", body, content_type="text/csv")

    assert response.status_code == 400
    assert reason in " ".join(m for messages in response.json().values() for m in messages)
    assert not study.trials.exists()


def test_a_spreadsheet_with_a_byte_order_mark_and_boolean_choices_imports(api, make_study):
    space = {
        "amp": {"type": "categorical", "choices": [True, False]},
        "depth": {"type": "int", "low": 1, "high": 9},
    }
    study = wandb_study(make_study, space=space)

    response = _import(api, study, "\ufeffamp,depth,val_loss\r\nTRUE,3,0.5\r\nfalse,4.0,0.25\r\n")

    assert response.status_code == 201, response.json()
    assert [t.params for t in study.trials.order_by("number")] == [
        {"amp": True, "depth": 3},
        {"amp": False, "depth": 4},
    ]


def test_a_file_of_more_than_a_thousand_rows_is_refused_whole_so_no_request_holds_the_study_for_long(
    api, make_study
):
    study = wandb_study(make_study, max_trials=5_000)
    sheet = "lr,batch_size,optimizer,val_loss\n" + "".join(
        f"{0.0001 + i / 1_000:.4f},{i % 200 + 16},adam,{i}\n" for i in range(1_001)
    )

    response = _import(api, study, sheet)

    assert response.status_code == 400
    assert response.json() == {"file": ["the file holds more than 1,000 rows: split it and import each part"]}
    assert not study.trials.exists()
    assert _import(api, study, sheet.rsplit("\n", 2)[0] + "\n").json()["added"] == 1_000


def test_runs_recorded_in_a_running_study_send_one_scheduling_step_only_when_they_spend_its_budget(
    api, make_study, django_capture_on_commit_callbacks
):
    """A recorded run takes no slot: a step per row (one message each) only found nothing to do."""
    study = wandb_study(make_study, max_trials=4)
    study.set_state("running")
    empty_broker()
    sheet = "lr,batch_size,optimizer,val_loss\n" + "".join(f"0.01,{16 + i},adam,{i}\n" for i in range(4))

    with django_capture_on_commit_callbacks(execute=True):
        _import(api, study, sheet.rsplit("\n", 2)[0] + "\n")  # three runs: room left
    assert _steps(study) == []
    with django_capture_on_commit_callbacks(execute=True):
        _import(api, study, sheet)  # the fourth spends the budget
    assert _steps(study) == [("workers.schedule_study", [study.pk])]


def _steps(study) -> list:
    """The scheduling steps sent for `study`'s queue since the broker was emptied."""
    return [message for message in take_messages(study.queue) if message[0] == "workers.schedule_study"]


def test_wandb_columns_are_read_in_any_case_so_a_crashed_run_is_not_recorded_as_complete(api, make_study):
    study = wandb_study(make_study)
    sheet = "name,STATE,notes,created,runtime,lr,batch_size,optimizer,val_loss\n"
    sheet += "a,crashed,OOM,2026-11-01T10:00:00Z,60,0.01,64,adam,0.5\n"

    assert _import(api, study, sheet).status_code == 201
    trial = study.trials.get()
    assert (trial.state, trial.value, trial.note, trial.duration_s) == (Trial.State.FAILED, None, "OOM", 60.0)


def test_a_config_key_spelt_like_a_wandb_column_beside_it_is_another_column(api, make_study):
    study = wandb_study(make_study)
    sheet = "Name,State,name,lr,batch_size,optimizer,val_loss\nrun-1,finished,resnet,0.01,64,adam,0.5\n"

    assert _import(api, study, sheet).json()["added"] == 1  # was "column 'Name' appears more than once"


def test_blank_rows_do_not_count_towards_the_thousand_rows_a_file_may_hold(api, make_study):
    study = wandb_study(make_study)
    sheet = "lr,batch_size,optimizer,val_loss\n" + ",,,\n" * 1_200 + "0.01,64,adam,0.5\n"

    assert _import(api, study, sheet).json()["added"] == 1


def test_runs_that_share_a_name_are_two_runs_and_a_run_listed_twice_is_named_as_such(api, make_study):
    study = wandb_study(make_study)
    sheet = "Name,lr,batch_size,optimizer,val_loss\nbaseline,0.01,64,adam,0.5\nbaseline,0.02,64,adam,0.4\n"

    assert _import(api, study, sheet).json()["added"] == 2  # was a 409: "imported before"

    twice = "Name,Created,lr,batch_size,optimizer,val_loss\n"
    twice += "b,2026-11-01T10:00:00Z,0.01,64,adam,0.5\nb,2026-11-01T10:00:00Z,0.02,64,adam,0.4\n"
    response = _import(api, study, twice)
    assert response.status_code == 400
    message = "row 3: the same run as row 2 (its Name and Created) with other values"
    assert response.json() == {"rows": [message]}
    assert study.trials.count() == 2


def test_empty_rows_above_the_header_are_skipped_and_rows_keep_a_spreadsheets_numbers(api, make_study):
    study = wandb_study(make_study)
    sheet = ",,,\n\nlr,batch_size,optimizer,val_loss\n0.01,64,adam,0.5\n3.0,64,adam,0.4\n"

    bad = "row 5: parameter 'lr': 3.0 is outside [0.0001, 1.0]"
    assert _import(api, study, sheet).json() == {"rows": [bad]}
    assert _import(api, study, sheet.rsplit("3.0", 1)[0]).json()["added"] == 1  # was "the file is empty"


def test_a_finished_run_whose_metric_diverged_is_recorded_as_failed_not_refused(api, make_study):
    """A diverged run (NaN or an infinite loss) is common in a sweep; a worker records such a job as
    failed, and one of them refused the whole file."""
    study = wandb_study(make_study)
    sheet = "lr,batch_size,optimizer,val_loss\n0.9,64,adam,NaN\n0.01,64,sgd,0.4\n0.5,32,adam,inf\n"

    response = _import(api, study, sheet)

    assert response.status_code == 201 and response.json()["added"] == 3
    trials = list(study.trials.order_by("number").values_list("state", "value", "error"))
    assert [t[:2] for t in trials] == [("failed", None), ("complete", 0.4), ("failed", None)]
    assert "val_loss is NaN" in trials[0][2] and "val_loss is inf" in trials[2][2]
