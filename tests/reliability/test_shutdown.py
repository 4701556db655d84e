"""SIGTERM (a deploy): short trials finish, long ones are interrupted, not failed, and run again."""

from __future__ import annotations

import signal
import time

import pytest

from studies import services
from studies.jobs.builtins import branin
from studies.models import Attempt, Study, Trial
from tests.reliability.checks import assert_sound_history
from tests.reliability.fleet import LOAD_MARGIN_S, SOFT_SHUTDOWN_S

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_warm_shutdown_lets_short_trials_finish_and_requeues_long_ones_as_interrupted(make_study, fleet):
    short = make_study(
        name="short",
        queue="short",
        max_trials=1,
        max_parallel=1,
        job_settings={"steps": 2, "duration_s": 2.0},  # a quarter of the 8 s window
    )
    long = make_study(
        name="long",
        queue="long",
        max_trials=1,
        max_parallel=1,
        max_retries=0,
        job_settings={"steps": 20, "duration_s": 20.0},  # well beyond the 8 s window
    )
    quick, slow = fleet.start("w1", queues="short"), fleet.start("w2", queues="long")
    services.start_study(short)
    services.start_study(long)
    fleet.running_attempt(short, quick)
    interrupted = fleet.running_attempt(long, slow)

    asked = time.monotonic()
    quick.signal(signal.SIGTERM)
    slow.signal(signal.SIGTERM)
    quick.process.wait(timeout=60)
    slow.process.wait(timeout=60)
    assert time.monotonic() - asked < SOFT_SHUTDOWN_S + LOAD_MARGIN_S, "the shutdown took too long"

    assert short.trials.get().attempts.get().state == Attempt.State.COMPLETE
    interrupted.refresh_from_db()
    assert interrupted.state == Attempt.State.INTERRUPTED and "shutting down" in interrupted.reason
    trial = interrupted.trial
    trial.refresh_from_db()
    assert trial.state == Trial.State.QUEUED, "max_retries=0, yet an interruption must not fail it"

    fleet.start("w3", queues="short,long")
    fleet.wait_for_state(long, (Study.State.COMPLETED,), timeout=90)
    assert [a.state for a in trial.attempts.all()] == [Attempt.State.INTERRUPTED, Attempt.State.COMPLETE]
    assert_sound_history(long, branin, fleet, n_trials=1)
    assert_sound_history(short, branin, fleet, n_trials=1)
