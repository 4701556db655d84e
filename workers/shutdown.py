"""Knows whether this worker has been asked to shut down, so a running job can be interrupted cleanly."""

from __future__ import annotations

import time

from celery.signals import worker_shutting_down

_requested_at: float | None = None


@worker_shutting_down.connect
def _on_shutdown(**_kwargs) -> None:
    global _requested_at
    _requested_at = time.monotonic()


def requested_for() -> float | None:
    """Seconds since a warm shutdown was requested; None when none was."""
    return None if _requested_at is None else time.monotonic() - _requested_at
