"""The reaper, run by whichever worker gets to it: idle workers through the beat task, busy ones from
their supervising loop.

Why both: with the solo pool a busy worker cannot take a queued `workers.reap` message, so when every
worker runs a long trial the beat ticks would wait behind them while a dead worker's trial stays
"running". On PostgreSQL a transaction-scoped advisory lock keeps it singular; on SQLite the
transaction itself does: `DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"` in
`hpoweb/settings.py` makes every `transaction.atomic()` take the write lock when it begins, so a second
reaper waits (up to the `timeout` option) and then finds nothing stale left.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction

from studies import services

log = logging.getLogger(__name__)

_LOCK_ID = 0x4850_0001
_TURN_KEY = "hpoweb:reaper-turn"
_judge_after: float | None = None  # one grace period after this process first looked, or after an outage


def _singular() -> bool:
    """Take a transaction-scoped lock so one reaper runs at a time (PostgreSQL); on SQLite the
    IMMEDIATE transaction already holds the database's write lock."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_ID])
        return bool(cursor.fetchone()[0])


def database_unavailable() -> None:
    """Judge no one for one grace period: heartbeats could not be written while the database was away.
    Called wherever this process meets the outage (the reaper, a heartbeat, a report, a result
    waiting to be stored): a worker that stored its own result first after a restart and then
    reaped at once failed the other worker's attempt, whose result was still waiting to be stored."""
    global _judge_after
    _judge_after = time.monotonic() + settings.HPOWEB["GRACE_S"]


def _may_judge() -> bool:
    """False for one grace period after this process's first look or its last outage."""
    if _judge_after is None:
        database_unavailable()
    return time.monotonic() >= _judge_after


def reap() -> int:
    """Fail attempts that stopped heartbeating; waits one grace period after start-up or an outage."""
    if not _may_judge():
        return 0
    try:
        with transaction.atomic():
            if not _singular():
                return 0
            return services.reap_stale_attempts()
    except DatabaseError:
        database_unavailable()
        log.warning("reaper: database unavailable; judging no one for one grace period")
        return 0


def reap_if_our_turn() -> int:
    """A busy worker's reap, once per reaper period across all of them: the first to take the turn
    (an atomic add to the shared cache) reaps; 64 busy workers each reaping every period were 13
    reaps a second where one in five seconds does. Without the cache, every worker reaps. A worker
    still in its own grace period takes no turn, so it cannot skip the others' reap."""
    if not _may_judge():
        return 0
    try:
        ours = cache.add(_TURN_KEY, 1, timeout=settings.HPOWEB["REAPER_PERIOD_S"])
    except Exception:  # the cache is a shortcut: its outage must not stop the reaper
        ours = True
    return reap() if ours else 0
