"""A worker frozen with SIGSTOP loses its trial to another worker; when it wakes, its writes are rejected."""

from __future__ import annotations

import signal

import pytest

from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study, TrialMetric, WorkerStatus
from tests.reliability.checks import assert_sound_history

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _busy_with(worker) -> int | None:
    """The trial a worker's status row says it runs; 0 for none, None before the worker registers."""
    row = WorkerStatus.objects.filter(name__startswith=f"{worker.name}@").first()
    return None if row is None else row.current_trial_id or 0


def test_a_frozen_worker_that_wakes_up_after_its_trial_was_reassigned_writes_nothing(make_study, fleet):
    study = make_study(
        max_trials=2, max_parallel=1, max_retries=1, job_settings={"steps": 8, "duration_s": 8.0}
    )
    sleeper = fleet.start("w1")
    fleet.start_beat()
    # registered before any claim, so its first status write cannot clear the claim's
    fleet.wait_for(lambda: _busy_with(sleeper) is not None, 60, "w1 to report")
    services.start_study(study)
    old = fleet.running_attempt(study, sleeper)
    fleet.wait_for(lambda: TrialMetric.objects.filter(attempt=old).exists(), 30, "a first report")
    sleeper.signal(signal.SIGSTOP)
    try:
        fleet.start("w2")
        fleet.wait_for(
            lambda: Attempt.objects.filter(trial=old.trial, number=2, state="running").exists(),
            60,
            "the trial to be reassigned",
        )
        written = TrialMetric.objects.filter(attempt=old).count()
        assert _busy_with(sleeper) == old.trial_id
    finally:
        sleeper.signal(signal.SIGCONT)

    fleet.wait_for(lambda: _busy_with(sleeper) != old.trial_id, 60, "the woken worker to give up its trial")
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=120)
    old.refresh_from_db()
    trial = old.trial
    trial.refresh_from_db()
    assert old.state == Attempt.State.FAILED and "worker lost" in old.reason
    assert TrialMetric.objects.filter(attempt=old).count() == written, "a late report was stored"
    new = trial.attempts.get(number=2)
    assert new.state == Attempt.State.COMPLETE and new.worker.startswith("w2@")
    assert trial.attempt_id == new.pk and [s for s, _ in trial.curve()] == list(range(1, 9))
    assert_sound_history(study, branin, fleet, n_trials=2)
