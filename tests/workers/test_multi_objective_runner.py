"""A built-in job returning several metrics, run by the worker's runner in its own process."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.multi_objective import SPACES, zdt1
from studies.models import Trial
from workers import runner

pytestmark = pytest.mark.django_db

WORKER = services.WorkerIdentity.current("test-worker")


@pytest.fixture(autouse=True)
def one_trial_per_run(settings):
    """The runner runs exactly the trial it is given (no chaining to the study's next one)."""
    settings.HPOWEB = {**settings.HPOWEB, "CHAIN_S": 0.0}


def test_the_runner_stores_every_metric_a_builtin_job_returns(make_study):
    objectives = [{"metric": "f1", "direction": "minimize"}, {"metric": "f2", "direction": "minimize"}]
    study = make_study(name="zdt", job="zdt1", space=SPACES["zdt1"], objectives=objectives, metric="f1")
    services.start_study(study)
    [trial_id] = services.schedule_trials(study.pk)[:1]

    runner.run_trial(trial_id, WORKER)

    trial = Trial.objects.get(pk=trial_id)
    assert trial.state == Trial.State.COMPLETE, trial.error
    assert trial.values == pytest.approx(zdt1(trial.params)) and trial.feasible is True
    assert trial.value == trial.values["f1"]
