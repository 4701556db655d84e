"""The history check every reliability scenario ends with, and a look into /proc for leftovers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from studies.models import Attempt, Study, Trial


def job_processes(mark: Path, exclude: set[int] = frozenset()) -> list[int]:
    """Live job processes started by this test's workers.

    A job leads its own process group (`workers.jobproc`), which tells it apart from the worker that
    forked it and from Celery's own children; the test's mark is in its inherited environment.
    """
    needle = f"HPOWEB_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        pid = int(entry.name)
        try:
            environ = (entry / "environ").read_bytes()
            if needle not in environ.split(b"\0") or os.getpgid(pid) != pid:
                continue
            if (entry / "stat").read_text().split(")")[-1].split()[0] == "Z":
                continue
        except (OSError, ProcessLookupError):
            continue
        found.append(pid)
    return found


def assert_sound_history(
    study: Study,
    objective: Callable[[dict], float],
    fleet,
    *,
    n_trials: int | None = None,
) -> list[Trial]:
    """Every trial accounted for, each run completed at most once, numbers 1..N without gaps, each value
    equal to the job's function of the stored params, no attempt left running, no orphaned job."""
    study.refresh_from_db()
    assert study.state not in (Study.State.RUNNING, Study.State.DRAFT), study.state
    trials = list(study.trials.order_by("number").prefetch_related("attempts"))
    numbers = [t.number for t in trials]
    assert numbers == list(range(1, len(trials) + 1)), f"numbers with gaps: {numbers}"
    if n_trials is not None:
        assert len(trials) == n_trials
    assert len(trials) <= study.max_trials
    for trial in trials:
        attempts = list(trial.attempts.all())
        states = [a.state for a in attempts]
        assert trial.state in Trial.FINISHED, f"trial {trial.number} left {trial.state}"
        assert Attempt.State.RUNNING not in states, f"trial {trial.number} has a running attempt"
        assert states.count(Attempt.State.COMPLETE) <= 1, f"trial {trial.number} completed twice: {states}"
        assert [a.number for a in attempts] == list(range(1, len(attempts) + 1))
        assert trial.n_attempts == len(attempts)
        assert all(a.ended and a.reason or a.state == Attempt.State.COMPLETE for a in attempts), (
            f"trial {trial.number}: an attempt ended without a reason: {states}"
        )
        if trial.state == Trial.State.COMPLETE:
            assert states[-1] == Attempt.State.COMPLETE and trial.attempt_id == attempts[-1].pk
            assert trial.value == pytest.approx(objective(trial.params), rel=1e-12, abs=1e-12)
        elif trial.state == Trial.State.FAILED:
            assert trial.error, f"trial {trial.number} failed without a reason"
    workers = {p.pid for p in fleet.processes}
    assert job_processes(fleet.tmp_path, exclude=workers) == [], "orphaned job processes"
    return trials
