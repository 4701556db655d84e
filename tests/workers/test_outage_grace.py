"""A worker that waited out a database outage to store its result judges no one for one grace period:
the first worker to store its result after a restart took the beat's reap at once and failed the other
worker's attempt, whose result was still waiting to be stored (seen in the PostgreSQL restart test
on a loaded machine)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import OperationalError

from workers import reaper, runner


def test_a_result_stored_after_an_outage_starts_the_reapers_grace(monkeypatch):
    tries = []

    def finish(attempt_id, outcome, next_for):
        tries.append(attempt_id)
        if len(tries) < 3:
            raise OperationalError("connection refused")
        return None

    monkeypatch.setattr(runner.services, "finish_and_continue", finish)
    monkeypatch.setattr(runner.time, "sleep", lambda s: None)
    # the start-up grace long past (monkeypatch puts the module's value back afterwards)
    monkeypatch.setattr(reaper, "_judge_after", time.monotonic() - 1)
    stored_at = time.monotonic()
    runner._finish(7, None, None)
    assert tries == [7, 7, 7]
    assert reaper._judge_after >= stored_at + settings.HPOWEB["GRACE_S"]  # one grace after the last failure
    assert reaper.reap() == 0  # returns before touching the database
