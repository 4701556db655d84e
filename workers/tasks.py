"""Celery tasks: thin wrappers that take ids and call a service or the runner."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from studies import services
from workers import runner

log = logging.getLogger(__name__)


@shared_task(name="workers.schedule_study", acks_late=True, ignore_result=True)
def schedule_study(study_id: int) -> int:
    return len(services.schedule_trials(study_id))


@shared_task(name="workers.run_trial", bind=True, acks_late=False, ignore_result=True)
def run_trial(self, trial_id: int) -> str:
    """Early ack: the database owns recovery, so a redelivery can never start a second run."""
    return runner.run_trial(trial_id, services.WorkerIdentity.current(self.request.hostname or ""))


_judge_after: float | None = None  # set one grace period after the first call (start-up)


def _singular(lock_id: int) -> bool:
    """Take a transaction-scoped lock so one reaper runs at a time (PostgreSQL); SQLite is one host."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        return bool(cursor.fetchone()[0])


@shared_task(name="workers.reap", acks_late=True, ignore_result=True)
def reap() -> int:
    """Fail attempts that stopped heartbeating; waits one grace period after start-up or an outage."""
    global _judge_after
    if _judge_after is None:
        _judge_after = time.monotonic() + settings.HPOWEB["GRACE_S"]
    if time.monotonic() < _judge_after:
        return 0
    try:
        with transaction.atomic():
            if not _singular(0x4850_0001):
                return 0
            return services.reap_stale_attempts()
    except DatabaseError:
        _judge_after = time.monotonic() + settings.HPOWEB["GRACE_S"]
        log.warning("reaper: database unavailable; judging no one for one grace period")
        return 0


@shared_task(name="workers.reconcile", acks_late=True, ignore_result=True)
def reconcile() -> int:
    return services.reconcile_queued()
