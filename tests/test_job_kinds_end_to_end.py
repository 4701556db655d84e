"""A command-job study and a pruned study run to completion on real `celery worker` processes."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from studies import services
from studies.jobs.builtins import SPACES, branin
from studies.models import CommandJob, Study, Trial
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).parent / "fixtures" / "train_cli.py"


def _done(study) -> bool:
    study.refresh_from_db()
    return study.state != Study.State.RUNNING


def test_a_command_job_study_runs_to_completion_on_real_workers(make_study, workers, cast):
    CommandJob.objects.create(name="train", argv=[sys.executable, str(SCRIPT), "{params_args}"],
                              env={"TRAIN_MODE": "lines"}, created_by=cast["staff"])
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
    study = make_study(job="branin", max_trials=10, max_parallel=2, pruner="asha",
                       pruner_settings={"min_resource": 1, "reduction_factor": 3},
                       job_settings={"steps": 9, "duration_s": 0.9})
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
