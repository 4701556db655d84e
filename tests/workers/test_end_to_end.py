"""A study runs to completion on real `celery worker` processes (no eager mode).

Run on the embedded defaults (SQLite + filesystem broker) by the first test session, and on
PostgreSQL + Redis by the second (see Makefile: `make test`).
"""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.builtins import branin
from studies.models import Study, Trial
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _state(study):
    study.refresh_from_db()
    return study.state


def test_a_study_runs_to_completion_on_two_real_workers(make_study, workers):
    study = make_study(
        job="branin", max_trials=10, max_parallel=2, job_settings={"steps": 3, "duration_s": 0.3}
    )
    pool = [workers.start("w1"), workers.start("w2")]
    assert services.start_study(study)

    wait_for(lambda: _state(study) == Study.State.COMPLETED, 90, "the study to complete", workers=pool)

    trials = list(study.trials.order_by("number"))
    assert [t.number for t in trials] == list(range(1, 11))
    assert all(t.state == Trial.State.COMPLETE for t in trials)
    for trial in trials:
        assert trial.value == pytest.approx(branin(trial.params))
        assert [step for step, _ in trial.curve()] == [1, 2, 3]
        assert trial.attempts.count() == 1
    assert {t.worker.split("@")[0] for t in trials} == {"w1", "w2"}
    overlapping = any(
        a.started < b.finished and b.started < a.finished for a, b in zip(trials, trials[1:], strict=False)
    )
    assert overlapping, "max_parallel 2 should run two trials at once"


def test_a_failing_job_fails_its_trials_with_the_traceback_and_the_study_stops(make_study, workers):
    study = make_study(
        job="branin",
        max_trials=10,
        max_parallel=1,
        max_retries=0,
        max_consecutive_failures=3,
        job_settings={"fail_rate": 1.0},
    )
    pool = [workers.start("w1")]
    services.start_study(study)

    wait_for(lambda: _state(study) == Study.State.FAILED, 60, "the study to stop", workers=pool)

    failed = study.trials.filter(state=Trial.State.FAILED)
    assert failed.count() == 3
    assert "RuntimeError: simulated training failure" in failed.first().error
    assert "Traceback" in failed.first().error
    assert "3 trials failed in a row" in study.state_reason
