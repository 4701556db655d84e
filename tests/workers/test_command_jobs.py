"""Command jobs: a real program (tests/fixtures/train_cli.py) run by the worker's runner, no shell."""

from __future__ import annotations

import json
import sys
import time

import pytest
from django.core.exceptions import ValidationError

from studies import services
from studies.job_catalog import check_job_params
from studies.jobs.builtins import SPACES
from studies.models import CommandJob, Study, Trial
from tests.harness import ROOT, wait_gone
from workers import runner
from workers.commandproc import OutputLog, command_argv

SCRIPT = ROOT / "tests" / "fixtures" / "train_cli.py"
ARGV = [sys.executable, str(SCRIPT), "{params_args}", "--params-file", "{params_file}"]
WORKER = services.WorkerIdentity.current("test-worker")


@pytest.fixture(autouse=True)
def one_trial_per_run(settings):
    """The runner runs exactly the trial it is given (no chaining to the study's next one)."""
    settings.HPOWEB = {**settings.HPOWEB, "CHAIN_S": 0.0}


@pytest.fixture
def run_command_trial(make_study, cast, tmp_path):
    """Run one trial of a study of a command job in `mode` through the worker's runner; the trial."""

    def run(mode: str, time_limit_s: float | None = None, **study_fields) -> Trial:
        CommandJob.objects.create(
            name=f"train-{mode}",
            argv=ARGV,
            params=["x1", "x2"],
            env={"TRAIN_MODE": mode, "TRAIN_PID_FILE": str(tmp_path / "child.pid")},
            time_limit_s=time_limit_s,
            created_by=cast["staff"],
        )
        study = make_study(
            name=f"cmd-{mode}",
            job=f"command:train-{mode}",
            space=SPACES["branin"],
            max_retries=0,
            **study_fields,
        )
        services.start_study(study)
        [trial_id] = services.schedule_trials(study.pk)[:1]
        runner.run_trial(trial_id, WORKER)
        return Trial.objects.get(pk=trial_id)

    return run


def _expected(trial: Trial) -> float:
    return (trial.params["x1"] - 1) ** 2 + trial.params["x2"]


def test_a_program_reporting_json_lines_completes_with_its_curve_and_log(run_command_trial):
    trial = run_command_trial("lines", max_parallel=1)

    assert trial.state == Trial.State.COMPLETE, trial.error
    assert trial.value == pytest.approx(_expected(trial))
    assert [step for step, _ in trial.curve()] == [1, 2, 3]
    log = trial.attempt.log
    assert log.text.startswith("starting training\n") and '{"step": 1' in log.text
    assert log.omitted_bytes == 0


def test_a_program_writing_the_result_file_completes(run_command_trial):
    trial = run_command_trial("file", max_parallel=1)

    assert trial.state == Trial.State.COMPLETE, trial.error
    assert trial.value == pytest.approx(_expected(trial))


def test_a_non_zero_exit_fails_the_attempt_with_the_code_and_the_stderr_tail(run_command_trial):
    trial = run_command_trial("crash", max_parallel=1)

    assert trial.state == Trial.State.FAILED
    assert "exited with code 3" in trial.error
    assert "CUDA out of memory (pretend)" in trial.error
    assert [step for step, _ in trial.curve()] == [1, 2, 3], "the curve so far is kept"


def test_a_program_killed_by_a_signal_fails_with_the_signal_named(run_command_trial):
    trial = run_command_trial("signal", max_parallel=1)

    assert trial.state == Trial.State.FAILED
    assert "killed by signal SIGSEGV" in trial.error


def test_a_hung_program_is_killed_with_its_children_at_the_job_time_limit(run_command_trial, tmp_path):
    started = time.monotonic()
    trial = run_command_trial("hang", time_limit_s=2.0, max_parallel=1, trial_timeout_s=60.0)

    assert time.monotonic() - started < 30
    assert trial.state == Trial.State.FAILED and "timeout: killed after 2 s" in trial.error
    child = int((tmp_path / "child.pid").read_text())
    wait_gone(child)  # the program's own child dies with its process group


def test_a_program_flooding_stdout_keeps_a_bounded_head_and_tail_and_still_completes(run_command_trial):
    trial = run_command_trial("flood", max_parallel=1)

    assert trial.state == Trial.State.COMPLETE, trial.error
    log = trial.attempt.log
    assert log.n_bytes > 20 * 1024 * 1024
    assert len(log.text) < 1100 * 1024 and log.omitted_bytes > 19 * 1024 * 1024
    assert "bytes omitted" in log.text and log.text.rstrip().endswith(f'"value": {trial.value}}}')


def test_a_pruned_program_is_killed_at_once_and_its_trial_ends_pruned_with_the_rule(run_command_trial):
    first = run_command_trial(
        "lines", max_parallel=1, pruner="median", pruner_settings={"n_startup_trials": 1}
    )
    assert first.state == Trial.State.COMPLETE, "with no other curve yet, the first trial runs to the end"
    CommandJob.objects.create(name="hopeless", argv=ARGV, params=["x1", "x2"], env={"TRAIN_MODE": "hopeless"})
    Study.objects.filter(pk=first.study_id).update(job="command:hopeless")
    services.schedule_trials(first.study_id)
    second = Trial.objects.get(study_id=first.study_id, state=Trial.State.QUEUED).pk

    started = time.monotonic()
    runner.run_trial(second, WORKER)

    trial = Trial.objects.get(pk=second)
    assert time.monotonic() - started < 15, "killed at its first report, not after its 30 s"
    assert trial.state == Trial.State.PRUNED and trial.error.startswith("Median rule at step 1")
    assert trial.curve() == [(1, 1e6)] and trial.value == 1e6


def test_a_study_naming_a_deleted_command_job_fails_its_trial_with_a_clear_reason(make_study):
    study = make_study(
        name="gone", job="command:never-defined", space=SPACES["branin"], max_retries=0, max_parallel=1
    )
    services.start_study(study)
    [trial_id] = services.schedule_trials(study.pk)

    runner.run_trial(trial_id, WORKER)

    trial = Trial.objects.get(pk=trial_id)
    assert trial.state == Trial.State.FAILED
    assert "the job could not start: unknown command job 'never-defined'" in trial.error
    assert Study.objects.get(pk=study.pk).state == Study.State.RUNNING


def test_params_become_one_argument_each_and_file_placeholders_are_filled():
    argv = command_argv(
        ["train", "{params_args}", "--out={result_file}", "{params_file}"],
        {"lr": 0.01, "opt": "adam; rm -rf /", "deep": True},
        "/w/params.json",
        "/w/result.json",
    )
    assert argv == [
        "train",
        "--lr=0.01",
        "--opt=adam; rm -rf /",
        "--deep=true",
        "--out=/w/result.json",
        "/w/params.json",
    ]


# A program with an option of its own that no study parameter may set.
ARGPARSE_PROGRAM = """
import argparse, json, os
parser = argparse.ArgumentParser()
parser.add_argument("--c")
parser.add_argument("--output")
with open(os.environ["PARSED_FILE"], "w") as f:
    json.dump(vars(parser.parse_args()), f)
print(json.dumps({"value": 0.0}))
"""


def test_a_categorical_value_that_looks_like_an_option_reaches_the_program_as_the_value(
    make_study, cast, tmp_path
):
    CommandJob.objects.create(
        name="parse",
        argv=[sys.executable, "-c", ARGPARSE_PROGRAM, "{params_args}"],
        params=["c"],
        env={"PARSED_FILE": str(tmp_path / "parsed.json")},
    )
    choices = ["--output=stolen.txt", "-h"]
    study = make_study(
        name="inject",
        job="command:parse",
        max_retries=0,
        max_parallel=1,
        space={"c": {"type": "categorical", "choices": choices}},
    )
    services.start_study(study)
    [trial_id] = services.schedule_trials(study.pk)

    assert runner.run_trial(trial_id, WORKER) is runner.RunOutcome.FINISHED
    trial = Trial.objects.get(pk=trial_id)
    assert trial.state == Trial.State.COMPLETE, trial.error
    parsed = json.loads((tmp_path / "parsed.json").read_text())
    assert parsed == {"c": trial.params["c"], "output": None}


def test_a_program_on_a_tree_space_is_given_only_its_trials_active_parameters(make_study, tmp_path):
    CommandJob.objects.create(
        name="record",
        argv=[sys.executable, str(ROOT / "tests" / "fixtures" / "record_params.py"), "{params_args}"],
        params=["model", "c"],
        env={"SEEN_DIR": str(tmp_path)},
    )
    space = {
        "model": {"type": "categorical", "choices": ["a", "b"]},
        "c": {"type": "float", "low": 0.0, "high": 1.0, "when": {"model": ["a"]}},
    }
    study = make_study(name="tree", job="command:record", space=space, max_trials=6, max_parallel=6)
    services.start_study(study)
    for trial_id in services.schedule_trials(study.pk):
        assert runner.run_trial(trial_id, WORKER) is runner.RunOutcome.FINISHED

    seen = sorted((json.loads(p.read_text()) for p in tmp_path.iterdir()), key=lambda s: s["argv"])
    trials = sorted(study.trials.all(), key=lambda t: command_argv(["{params_args}"], t.params, "", ""))
    assert {len(t.params) for t in trials} == {1, 2}, "both branches were run"
    assert [s["file"] for s in seen] == [t.params for t in trials]
    assert [s["argv"] for s in seen] == [command_argv(["{params_args}"], t.params, "", "") for t in trials]
    assert [s["env"] for s in seen] == [sorted(f"HPOWEB_PARAM_{n.upper()}" for n in t.params) for t in trials]


@pytest.mark.django_db
def test_a_command_job_refuses_a_parameter_staff_did_not_declare():
    CommandJob.objects.create(name="train", argv=ARGV, params=["x1", "x2"])

    check_job_params("command:train", ["x1", "x2"])
    with pytest.raises(ValueError, match=r"does not accept the parameter 'c --output=stolen.txt'"):
        check_job_params("command:train", ["x1", "c --output=stolen.txt"])
    with pytest.raises(ValueError, match=r"unknown command job 'nope'"):
        check_job_params("command:nope", ["x1"])
    check_job_params("branin", ["any", "name"])  # a callable gets its params as a dict, not argv


@pytest.mark.django_db
def test_a_command_job_with_no_declared_parameters_accepts_none():
    CommandJob.objects.create(name="bare", argv=ARGV)

    with pytest.raises(ValueError, match=r"does not accept the parameter 'x1' \(it accepts: none"):
        check_job_params("command:bare", ["x1"])


def test_a_trial_of_a_parameter_the_command_job_no_longer_accepts_fails_before_the_program_starts(
    make_study, tmp_path
):
    job = CommandJob.objects.create(
        name="train",
        argv=ARGV,
        params=["x1", "x2"],
        env={"TRAIN_MODE": "hang", "TRAIN_PID_FILE": str(tmp_path / "child.pid")},
    )
    study = make_study(
        name="older", job="command:train", space=SPACES["branin"], max_retries=0, max_parallel=1
    )
    services.start_study(study)
    [trial_id] = services.schedule_trials(study.pk)
    job.params = ["x1"]  # staff narrowed the list after the study was defined
    job.save()

    runner.run_trial(trial_id, WORKER)

    trial = Trial.objects.get(pk=trial_id)
    assert trial.state == Trial.State.FAILED
    assert "the job could not start" in trial.error and "does not accept the parameter 'x2'" in trial.error
    assert not (tmp_path / "child.pid").exists(), "the program must not have run"


@pytest.mark.parametrize("params", [["-o"], ["x=1"], ["two words"], [""], "x1", [1]])
def test_staff_declare_parameters_as_a_list_of_plain_names(params):
    job = CommandJob(name="train", argv=ARGV, params=params)
    with pytest.raises(ValidationError) as refused:
        job.clean()
    assert set(refused.value.message_dict) == {"params"}
    CommandJob(name="train", argv=ARGV, params=["lr", "batch-size", "model.depth", "_x"]).clean()


def test_the_output_log_keeps_head_and_tail_of_a_huge_output():
    log = OutputLog(head=10, tail=5)
    for _ in range(100):
        log.write(b"0123456789")
    assert log.n_bytes == 1000 and log.omitted == 985
    assert log.text() == "0123456789\n[... 985 bytes omitted ...]\n56789"


def test_a_program_printing_values_completes_a_study_with_objectives(run_command_trial):
    objectives = [{"metric": "loss", "direction": "minimize"}, {"metric": "size", "direction": "minimize"}]
    trial = run_command_trial(
        "values", max_parallel=1, objectives=objectives, constraints=[{"metric": "memory_gb", "max": 100.0}]
    )

    assert trial.state == Trial.State.COMPLETE, trial.error
    assert trial.values == pytest.approx(
        {"loss": _expected(trial), "size": trial.params["x2"], "memory_gb": trial.params["x1"]}
    )
    assert trial.value == pytest.approx(_expected(trial)) and trial.feasible is True


def test_a_program_missing_a_constrained_metric_fails_with_the_metric_named(run_command_trial):
    objectives = [{"metric": "loss", "direction": "minimize"}]
    trial = run_command_trial(
        "values", max_parallel=1, objectives=objectives, constraints=[{"metric": "vram", "max": 1}]
    )

    assert trial.state == Trial.State.FAILED and "'vram'" in trial.error
