"""A command-job study and a pruned study run to completion on real `celery worker` processes."""

from __future__ import annotations

import sys

import pytest

from studies import services
from studies.jobs.builtins import SPACES, branin
from studies.models import AttemptLog, CommandJob, Study, Trial
from tests.harness import ROOT, process_gone, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = ROOT / "tests" / "fixtures" / "train_cli.py"


def _done(study) -> bool:
    study.refresh_from_db()
    return study.state != Study.State.RUNNING


def test_a_command_job_study_runs_to_completion_on_real_workers(make_study, workers, cast):
    CommandJob.objects.create(
        name="train",
        argv=[sys.executable, str(SCRIPT), "{params_args}"],
        params=["x1", "x2"],
        env={"TRAIN_MODE": "lines"},
        created_by=cast["staff"],
    )
    study = make_study(job="command:train", space=SPACES["branin"], max_trials=4, max_parallel=2)
    pool = [workers.start("w1"), workers.start("w2")]
    services.start_study(study)

    wait_for(lambda: _done(study), 120, "the study to finish", workers=pool)

    assert study.state == Study.State.COMPLETED, study.state_reason
    for trial in study.trials.all():
        assert trial.state == Trial.State.COMPLETE, trial.error
        assert trial.value == pytest.approx((trial.params["x1"] - 1) ** 2 + trial.params["x2"])
        assert [step for step, _ in trial.curve()] == [1, 2, 3]
        assert trial.attempt.log.text.startswith("starting training")


def test_an_asha_study_prunes_hopeless_trials_keeping_their_curves_and_the_rung_as_the_reason(
    make_study, workers
):
    study = make_study(
        job="branin",
        max_trials=10,
        max_parallel=2,
        pruner="asha",
        pruner_settings={"min_resource": 1, "reduction_factor": 3},
        job_settings={"steps": 9, "duration_s": 0.9},
    )
    pool = [workers.start("w1"), workers.start("w2")]
    services.start_study(study)

    wait_for(lambda: _done(study), 180, "the study to finish", workers=pool)

    assert study.state == Study.State.COMPLETED, study.state_reason
    trials = list(study.trials.all())
    pruned = [t for t in trials if t.state == Trial.State.PRUNED]
    complete = [t for t in trials if t.state == Trial.State.COMPLETE]
    assert pruned and complete and len(pruned) + len(complete) == 10
    for trial in pruned:
        curve = trial.curve()
        assert trial.error.startswith("ASHA rung") and "is not in the top 1/3" in trial.error
        assert 1 <= len(curve) < 9 and curve[-1][0] in (1, 3)
        assert trial.value == curve[-1][1], "a pruned trial's value is its last reported one"
    for trial in complete:
        assert trial.value == pytest.approx(branin(trial.params)) and len(trial.curve()) == 9
    history, _pending = services.optimizer_inputs(study)
    assert {(t.params["x1"], t.value) for t in pruned} <= {(p["x1"], v) for p, v in history}


@pytest.fixture
def hanging_study(make_study, tmp_path):
    """A running study of a command job that starts a child and hangs; the child's pid is written to
    `tmp_path / "child.pid"`."""
    CommandJob.objects.create(
        name="hang",
        argv=[sys.executable, str(SCRIPT), "{params_args}"],
        params=["x1", "x2"],
        env={"TRAIN_MODE": "hang", "TRAIN_PID_FILE": str(tmp_path / "child.pid")},
    )
    study = make_study(
        job="command:hang", space=SPACES["branin"], max_trials=1, max_parallel=1, max_retries=0
    )
    services.start_study(study)
    return study


def _child(tmp_path) -> int:
    pid_file = tmp_path / "child.pid"
    return pid_file.exists() and pid_file.read_text().strip() and int(pid_file.read_text())


def test_a_running_command_shows_its_output_and_cancel_kills_its_group(hanging_study, workers, tmp_path):
    pool = [workers.start("w1")]
    child = wait_for(lambda: _child(tmp_path), 60, "the program to start its child", workers=pool)
    live = AttemptLog.objects.filter(attempt__trial__study=hanging_study, text__startswith="starting")
    wait_for(live.exists, 30, "the output so far to be stored while the program runs", workers=pool)

    assert services.cancel_trial(hanging_study.trials.get())

    wait_for(lambda: process_gone(child), 30, "the program's child to be killed", workers=pool)
    trial = hanging_study.trials.get()
    assert trial.state == Trial.State.CANCELLED and trial.attempt.state == "cancelled"


def test_a_killed_worker_takes_its_command_jobs_whole_process_group_with_it(hanging_study, workers, tmp_path):
    worker = workers.start("w1")
    child = wait_for(lambda: _child(tmp_path), 60, "the program to start its child", workers=[worker])

    worker.kill()  # SIGKILL to the worker's process group; the job runs in a session of its own

    wait_for(lambda: process_gone(child), 30, "the watchdog to kill the orphaned program's group")
