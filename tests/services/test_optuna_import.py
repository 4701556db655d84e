"""Importing real Optuna studies (SQLite and journal storages), checked value by value."""

from __future__ import annotations

import math

import pytest
from django.core.management import CommandError, call_command

from studies.models import AuditEvent, Study

optuna = pytest.importorskip("optuna")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
]

SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 0.1, "log": True},
    "drop": {"type": "float", "low": 0.0, "high": 0.5, "log": False, "step": 0.1},
    "layers": {"type": "int", "low": 1, "high": 4, "log": False},
    "units": {"type": "int", "low": 16, "high": 256, "log": True},
    "batch": {"type": "int", "low": 16, "high": 128, "log": False, "step": 16},
    "act": {"type": "categorical", "choices": ["relu", "tanh"]},
    "width": {"type": "categorical", "choices": [32, 64]},
}
FIXED = {"lr": 0.01, "drop": 0.2, "layers": 2, "units": 32, "batch": 64, "act": "tanh", "width": 64}


def _suggest(trial) -> dict:
    return {
        "lr": trial.suggest_float("lr", 1e-5, 0.1, log=True),
        "drop": trial.suggest_float("drop", 0.0, 0.5, step=0.1),
        "layers": trial.suggest_int("layers", 1, 4),
        "units": trial.suggest_int("units", 16, 256, log=True),
        "batch": trial.suggest_int("batch", 16, 128, step=16),
        "act": trial.suggest_categorical("act", ["relu", "tanh"]),
        "width": trial.suggest_categorical("width", [32, 64]),
    }


def _build(storage, name: str = "last-month"):
    """A study with every distribution and every state: complete, pruned with intermediate values,
    failed, failed early (some parameters only), running and waiting (enqueued)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.set_user_attr("dataset", "cifar10")
    study.set_metric_names(["accuracy"])
    complete = study.ask()
    _suggest(complete)
    complete.set_user_attr("gpu", "a100")
    for step, v in enumerate([0.5, 0.7, 0.8]):
        complete.report(v, step)
    study.tell(complete, 0.8)
    pruned = study.ask()
    _suggest(pruned)
    pruned.report(0.2, 0)
    pruned.report(0.25, 5)
    study.tell(pruned, state=optuna.trial.TrialState.PRUNED)
    failed = study.ask()
    _suggest(failed)
    study.tell(failed, state=optuna.trial.TrialState.FAIL)
    early = study.ask()
    early.suggest_float("lr", 1e-5, 0.1, log=True)
    study.tell(early, state=optuna.trial.TrialState.FAIL)
    _suggest(study.ask())  # left running
    study.enqueue_trial(FIXED, user_attrs={"why": "the paper's setting"})
    return study


@pytest.fixture
def owner(cast):
    return cast["owner"]


def _import(owner, project, storage: str, **kwargs) -> Study:
    from studies.optuna_import import import_optuna

    return import_optuna(owner, project, storage, **kwargs)


def test_a_sqlite_study_is_imported_value_by_value(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    source = _build(url)

    study = _import(owner, project, url, study_name="last-month")

    assert study.space.to_dict() == SPACE
    assert (study.direction, study.metric, study.job, study.state) == (
        "maximize",
        "accuracy",
        "external",
        "paused",
    )
    assert "left out 1 Optuna trial(s)" in study.state_reason and ": 3" in study.state_reason
    assert '"dataset": "cifar10"' in study.note
    trials = list(study.trials.order_by("number"))
    kept = [t for t in source.trials if t.number != 3]
    assert [t.number for t in trials] == [1, 2, 3, 4, 5]
    assert [t.suggestion["optuna_number"] for t in trials] == [t.number for t in kept]
    assert [t.state for t in trials] == ["complete", "pruned", "failed", "failed", "queued"]
    assert [t.params for t in trials[:4]] == [t.params for t in kept[:4]]
    assert trials[4].params == FIXED and trials[4].suggestion["user_attrs"] == {"why": "the paper's setting"}
    assert trials[4].suggestion["system_attrs"]["fixed_params"] == FIXED
    assert (trials[0].value, trials[1].value, trials[2].value, trials[3].value) == (0.8, 0.25, None, None)
    assert trials[0].curve() == [(0, 0.5), (1, 0.7), (2, 0.8)]
    assert trials[1].curve() == [(0, 0.2), (5, 0.25)]
    assert trials[0].suggestion["user_attrs"] == {"gpu": "a100"}
    assert "still running in Optuna" in trials[3].error
    assert trials[0].started == kept[0].datetime_start.astimezone()
    assert trials[0].finished == kept[0].datetime_complete.astimezone()
    assert AuditEvent.objects.filter(study=study, action="import").exists()


def test_a_journal_file_imports_like_the_same_study_in_sqlite(owner, project, tmp_path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = tmp_path / "optuna.log"
    _build(JournalStorage(JournalFileBackend(str(path))))

    study = _import(owner, project, str(path))

    assert study.name == "last-month" and study.space.to_dict() == SPACE
    assert list(study.trials.values_list("state", flat=True)) == [
        "complete",
        "pruned",
        "failed",
        "failed",
        "queued",
    ]


def test_a_parameter_whose_range_grows_gets_the_union_of_its_ranges(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'grow.db'}"
    study = optuna.create_study(study_name="grow", storage=url)
    study.optimize(lambda t: t.suggest_int("n", 1, 2 + t.number) + t.suggest_categorical("c", [0, 1]), 3)

    imported = _import(owner, project, url)

    assert imported.space.to_dict() == {
        "n": {"type": "int", "low": 1, "high": 4, "log": False},
        "c": {"type": "categorical", "choices": [0, 1]},
    }
    assert imported.trials.count() == 3 and imported.state == "completed"


def _two_objectives(trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    return x, (1.0 - x) ** 2


def test_a_multi_objective_study_keeps_every_value_under_its_metric_name(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    source = optuna.create_study(study_name="mo", storage=url, directions=["minimize", "maximize"])
    source.set_metric_names(["error", "speed"])
    source.optimize(_two_objectives, 4)
    failed = source.ask()
    failed.suggest_float("x", 0.0, 1.0)
    source.tell(failed, state=optuna.trial.TrialState.FAIL)
    infinite = source.ask()
    infinite.suggest_float("x", 0.0, 1.0)
    source.tell(infinite, [float("inf"), 1.0])

    study = _import(owner, project, url)

    assert study.objectives == [
        {"metric": "error", "direction": "minimize"},
        {"metric": "speed", "direction": "maximize"},
    ]
    assert (study.metric, study.direction, study.optimizer) == ("error", "minimize", "nsga2")
    trials = list(study.trials.order_by("number"))
    assert [t.state for t in trials] == ["complete"] * 4 + ["failed"] * 2
    for trial, kept in zip(trials[:4], source.trials[:4], strict=True):
        assert trial.values == {"error": kept.values[0], "speed": kept.values[1]}
        assert trial.value == kept.values[0] and trial.params == kept.params
    assert [(t.value, t.values) for t in trials[4:]] == [(None, None)] * 2
    assert "not all finite numbers" in trials[5].error


def test_objectives_without_metric_names_are_named_by_their_position(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    source = optuna.create_study(study_name="mo", storage=url, directions=["minimize", "minimize"])
    source.optimize(_two_objectives, 2)

    study = _import(owner, project, url)

    assert [o["metric"] for o in study.objectives] == ["value_0", "value_1"]
    assert study.trials.get(number=2).values == dict(
        zip(["value_0", "value_1"], source.trials[1].values, strict=True)
    )


def _classifier(trial) -> float:
    """Define-by-run: each classifier has its own parameters."""
    if trial.suggest_categorical("classifier", ["svm", "rf"]) == "svm":
        return trial.suggest_float("svm_c", 1e-3, 1e3, log=True)
    return trial.suggest_int("rf_depth", 2, 32)


def test_a_define_by_run_study_becomes_a_conditional_space(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'dbr.db'}"
    source = optuna.create_study(study_name="dbr", storage=url)
    for classifier in ["svm", "rf", "svm", "rf"]:
        source.enqueue_trial({"classifier": classifier})
    source.optimize(_classifier, 4)
    early = source.ask()
    early.suggest_categorical("classifier", ["svm", "rf"])
    source.tell(early, state=optuna.trial.TrialState.FAIL)

    study = _import(owner, project, url)

    assert study.space.to_dict() == {
        "classifier": {"type": "categorical", "choices": ["svm", "rf"]},
        "svm_c": {"type": "float", "low": 1e-3, "high": 1e3, "log": True, "when": {"classifier": ["svm"]}},
        "rf_depth": {"type": "int", "low": 2, "high": 32, "log": False, "when": {"classifier": ["rf"]}},
    }
    trials = list(study.trials.order_by("number"))
    assert [t.params for t in trials] == [t.params for t in source.trials[:4]]
    assert [t.value for t in trials] == [t.value for t in source.trials[:4]]
    assert "left out 1 Optuna trial(s)" in study.state_reason and ": 4" in study.state_reason


def _kernels(trial) -> float:
    """Define-by-run, nested: `gamma` only for the rbf kernel, which only an svm has."""
    if trial.suggest_categorical("classifier", ["svm", "rf"]) == "rf":
        return trial.suggest_int("rf_depth", 2, 32)
    c = trial.suggest_float("svm_c", 1e-3, 1e3, log=True)
    if trial.suggest_categorical("kernel", ["rbf", "linear"]) == "rbf":
        return c * trial.suggest_float("gamma", 1e-4, 1.0, log=True)
    return c


def test_nested_choices_become_nested_conditions(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'nested.db'}"
    source = optuna.create_study(study_name="nested", storage=url)
    for fixed in [{"classifier": "svm", "kernel": "rbf"}, {"classifier": "svm", "kernel": "linear"}] * 2:
        source.enqueue_trial(fixed)
    source.enqueue_trial({"classifier": "rf"})
    source.optimize(_kernels, 5)

    study = _import(owner, project, url)

    conditions = {name: spec.get("when") for name, spec in study.space.to_dict().items()}
    assert conditions == {
        "classifier": None,
        "svm_c": {"classifier": ["svm"]},
        "kernel": {"classifier": ["svm"]},
        "gamma": {"kernel": ["rbf"]},
        "rf_depth": {"classifier": ["rf"]},
    }
    assert [t.params for t in study.trials.order_by("number")] == [t.params for t in source.trials]


def _unexplained(url: str) -> None:
    """`a` and `b` come and go while `kind` keeps the same value: nothing says when each is set."""
    study = optuna.create_study(storage=url, study_name="s")
    study.enqueue_trial({"kind": "u"})
    study.enqueue_trial({"kind": "u"})
    study.optimize(
        lambda t: (
            t.suggest_categorical("kind", ["u", "v"]) == "u"
            and t.suggest_float("a" if t.number == 0 else "b", 0, 1)
        ),
        2,
    )


def _four_objectives(url: str) -> None:
    study = optuna.create_study(storage=url, study_name="s", directions=["minimize"] * 4)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1),) * 4, 1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_four_objectives, "at most 3 objectives"),
        (_unexplained, r"parameter\(s\) 'a', 'b' .*no categorical parameter"),
    ],
)
def test_a_study_hpoweb_cannot_hold_is_refused_clearly_and_nothing_is_stored(
    owner, project, tmp_path, make, message
):
    from studies.imports import ImportFailed

    url = f"sqlite:///{tmp_path / 'bad.db'}"
    make(url)

    with pytest.raises(ImportFailed, match=message):
        _import(owner, project, url)
    assert not Study.objects.exists()


def test_a_storage_that_does_not_exist_or_is_corrupt_is_a_clear_error(owner, project, tmp_path):
    from studies.imports import ImportFailed

    missing = tmp_path / "missing.db"
    corrupt = tmp_path / "corrupt.log"
    corrupt.write_bytes(b'{"op_code": 0}\nnot json at all\n{"op_code": 1}\n')

    with pytest.raises(ImportFailed, match="no SQLite file"):
        _import(owner, project, f"sqlite:///{missing}")
    with pytest.raises(ImportFailed, match="cannot read the Optuna storage"):
        _import(owner, project, str(corrupt))
    with pytest.raises(ImportFailed, match="no Optuna storage"):
        _import(owner, project, str(tmp_path / "nothing.log"))
    assert not missing.exists()
    assert not Study.objects.exists()


def test_the_management_command_imports_and_names_a_missing_study(owner, project, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    _build(url)

    call_command(
        "import_optuna", "--storage", url, "--study", "last-month", "--project", "Vision", "--user", "owner"
    )
    with pytest.raises(CommandError, match="no Optuna study named 'other'.*'last-month'"):
        call_command(
            "import_optuna", "--storage", url, "--study", "other", "--project", "Vision", "--user", "owner"
        )

    assert "with 5 trials" in capsys.readouterr().out
    study = Study.objects.get()
    assert study.name == "last-month" and math.isclose(study.trials.get(number=1).value, 0.8)


def test_attributes_holding_nan_or_infinity_are_kept_as_their_text(owner, project, tmp_path):
    url = f"sqlite:///{tmp_path / 'attrs.db'}"
    source = optuna.create_study(study_name="attrs", storage=url)
    trial = source.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_user_attr("grad_norm", float("nan"))
    trial.set_user_attr("history", [1.0, float("inf"), {"best": float("-inf")}])
    source.tell(trial, 0.5)

    study = _import(owner, project, url)

    assert study.trials.get().suggestion["user_attrs"] == {
        "grad_norm": "NaN",
        "history": [1.0, "Infinity", {"best": "-Infinity"}],
    }


def test_a_database_that_is_not_an_optuna_storage_is_refused_and_left_unchanged(owner, project, tmp_path):
    import sqlite3

    from studies.imports import ImportFailed

    other = tmp_path / "app.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    before = other.read_bytes()

    for location in (str(other), f"sqlite:///{other}"):
        with pytest.raises(ImportFailed) as refused:
            _import(owner, project, location)
        assert other.read_bytes() == before
        assert "without Optuna's tables" in str(refused.value)
    assert not Study.objects.exists()


def test_a_storage_of_several_studies_asks_which_one_to_import(owner, project, tmp_path):
    from studies.imports import ImportFailed

    url = f"sqlite:///{tmp_path / 'two.db'}"
    for name in ("lr-sweep", "depth-sweep"):
        optuna.create_study(study_name=name, storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), 1)

    with pytest.raises(ImportFailed, match="several Optuna studies, name the one.*'lr-sweep', 'depth-sweep'"):
        _import(owner, project, url)
    assert _import(owner, project, url, study_name="depth-sweep").name == "depth-sweep"


def test_an_empty_study_is_refused_as_having_nothing_to_import(owner, project, tmp_path):
    from studies.imports import ImportFailed

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    optuna.create_study(study_name="fresh", storage=url)

    with pytest.raises(ImportFailed, match="'fresh' has no trial that set a parameter"):
        _import(owner, project, url)
    assert not Study.objects.exists()


def test_an_intermediate_value_at_a_step_hpoweb_cannot_store_is_named_in_the_refusal(
    owner, project, tmp_path
):
    from studies.imports import ImportFailed

    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    source = optuna.create_study(study_name="tokens", storage=url)
    trial = source.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(2.5, 10**12)  # steps counted in tokens seen
    source.tell(trial, 2.5)

    with pytest.raises(ImportFailed, match=r"curve point \[1000000000000, 2.5\] .* within ±2,147,483,647"):
        _import(owner, project, url)
    assert not Study.objects.exists()
