"""Crashes: a worker SIGKILLed mid-trial, its job process killed (the OOM shape), a job that always fails."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study, Trial
from tests.reliability.checks import assert_sound_history, job_processes
from tests.reliability.fleet import LOAD_MARGIN_S, REAPED_WITHIN_S, TIMINGS

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _left_running(study, worker) -> Attempt:
    """The attempt the dead worker left behind (it may have finished and chained one since we looked)."""
    [attempt] = Attempt.objects.filter(
        trial__study=study, state=Attempt.State.RUNNING, worker__startswith=f"{worker.name}@"
    )
    return attempt


def _assert_reaped_in_time(attempt: Attempt) -> None:
    """Timed between two database writes, so only the reaper's delay counts, not this test's."""
    silence = (attempt.ended - attempt.heartbeat).total_seconds()
    bound = REAPED_WITHIN_S + LOAD_MARGIN_S
    assert silence <= bound, f"reaped after {silence:.1f} s (bound {bound:g} s)"


def test_a_worker_killed_mid_trial_is_reaped_in_time_and_its_trial_runs_again_on_a_survivor(
    make_study, fleet
):
    study = make_study(
        max_trials=6, max_parallel=2, max_retries=1, job_settings={"steps": 4, "duration_s": 3.0}
    )
    victim, survivor = fleet.start("w1"), fleet.start("w2")
    fleet.start_beat()
    services.start_study(study)

    fleet.running_attempt(study, victim)
    fleet.wait_for(lambda: job_processes(fleet.tmp_path, {victim.pid, survivor.pid}), 20, "the job to start")
    victim.signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    attempt = _left_running(study, victim)

    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=180)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.FAILED and "worker lost: no heartbeat" in attempt.reason
    _assert_reaped_in_time(attempt)
    retry = attempt.trial.attempts.get(number=2)
    assert retry.state == Attempt.State.COMPLETE and retry.worker.startswith("w2@")
    assert_sound_history(study, branin, fleet, n_trials=6)
    assert study.trials.filter(state=Trial.State.COMPLETE).count() == 6


def test_a_dead_workers_trial_is_reaped_by_a_busy_survivor_even_without_beat(make_study, fleet):
    """With the solo pool a busy worker takes no reap message; its supervisor loop reaps instead."""
    study = make_study(
        max_trials=3, max_parallel=2, max_retries=1, job_settings={"steps": 6, "duration_s": 6.0}
    )
    victim, survivor = fleet.start("w1"), fleet.start("w2")
    services.start_study(study)
    fleet.running_attempt(study, victim)
    fleet.running_attempt(study, survivor)
    victim.signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    attempt = _left_running(study, victim)

    fleet.wait_for(
        lambda: Attempt.objects.get(pk=attempt.pk).state == Attempt.State.FAILED,
        REAPED_WITHIN_S + LOAD_MARGIN_S + TIMINGS["GRACE_S"],  # + the survivor's start-up wait
        "the reaper",
    )
    attempt.refresh_from_db()
    _assert_reaped_in_time(attempt)
    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=120)
    assert_sound_history(study, branin, fleet, n_trials=3)


@pytest.mark.parametrize(
    "victim, reason",
    [
        ("job", r".*killed by signal SIGKILL.*"),  # the OOM killer's shape
        ("host", r"the job host process died, and the job with it"),  # the next attempt gets a new host
    ],
)
def test_a_killed_job_or_job_host_fails_its_attempt_at_once_with_the_reason_named_and_is_retried(
    victim, reason, make_study, fleet
):
    study = make_study(
        max_trials=2, max_parallel=1, max_retries=1, job_settings={"steps": 4, "duration_s": 3.0}
    )
    worker = fleet.start("w1")
    services.start_study(study)

    attempt = fleet.running_attempt(study, worker)
    [job] = fleet.wait_for(lambda: job_processes(fleet.tmp_path, {worker.pid}), 20, "the job to start")
    host = int(Path(f"/proc/{job}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert host != worker.pid, "the job is forked by the worker's job host"
    os.kill(job if victim == "job" else host, signal.SIGKILL)

    fleet.wait_for_state(study, (Study.State.COMPLETED,), timeout=120)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.FAILED
    assert re.fullmatch(reason, attempt.reason, re.DOTALL), attempt.reason
    # At once: by the supervisor (the reason names the death), well before the reaper's grace would end
    # it; the margin is for a loaded machine's slower detection.
    took = (attempt.ended - attempt.heartbeat).total_seconds()
    assert took < TIMINGS["GRACE_S"] + LOAD_MARGIN_S, f"not at once: {took:.1f} s"
    assert attempt.trial.attempts.count() == 2
    assert_sound_history(study, branin, fleet, n_trials=2)


def test_a_job_that_always_crashes_gets_exactly_its_retries_and_the_study_stops_at_its_failure_limit(
    make_study, fleet
):
    study = make_study(
        max_trials=10,
        max_parallel=2,
        max_retries=2,
        max_consecutive_failures=3,
        job_settings={"fail_rate": 1.0},
    )
    fleet.start("w1"), fleet.start("w2")
    services.start_study(study)

    fleet.wait_for_state(study, (Study.State.FAILED,), timeout=120)
    fleet.wait_for(
        lambda: not Attempt.objects.filter(trial__study=study, state="running").exists(),
        30,
        "running attempts to end",
    )
    assert "3 trials failed in a row" in study.state_reason
    failed = list(study.trials.filter(state=Trial.State.FAILED))
    runs = [[a.state for a in trial.attempts.all()] for trial in failed]
    # a trial still running when the study stopped fails with the attempts it had: no retry after the stop
    assert sum(r == [Attempt.State.FAILED] * 3 for r in runs) >= 3, runs
    assert all(1 <= len(r) <= 3 and set(r) == {Attempt.State.FAILED} for r in runs), runs
    for trial, r in zip(failed, runs, strict=True):
        assert "simulated training failure" in trial.error and f"attempt {len(r)}/3" in trial.error
    assert not study.trials.filter(state__in=[Trial.State.QUEUED, Trial.State.RUNNING]).exists()
    assert_sound_history(study, branin, fleet)
