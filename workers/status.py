"""Each worker keeps its `WorkerStatus` row current, so the workers page can tell live from lost.

Written three ways: once when the worker is ready (host, pid, queues); by a daemon thread four times
per grace period (`last_seen`: the process is alive, even while its solo pool runs a long trial; the
page calls a worker lost after a grace period of silence, and 64 workers beating every heartbeat
period were 32 writes a second); and
as it works: `last_consumed` when it takes a message (at most once per heartbeat period) and
`current_trial` in the claim's own transaction (busy while that trial runs). `studies.worker_health`
draws the conclusions: lost, busy, idle, or connected but not consuming (celery#8030).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from celery.signals import task_prerun, worker_ready, worker_shutdown
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from studies.models import WorkerStatus
from studies.services import db_clock, db_now

log = logging.getLogger(__name__)

_name: str | None = None
_identity: dict = {}  # host, pid, queues, started: what this worker's row says about it
_stop = threading.Event()
_consumed_written = 0.0


def _touch(*fields: str, register: bool = False) -> bool:
    """Set `fields` to the database's now; False when the database is away (nothing else happens:
    an outage must stop neither the worker nor its status thread)."""
    if _name is None:
        return False
    try:
        if register or not WorkerStatus.objects.filter(name=_name).update(
            **dict.fromkeys(fields, db_clock())
        ):
            # first beat, or the row was lost: (re)register with what the worker knows about itself
            now = db_now()
            defaults = {**_identity, "last_seen": now, "last_consumed": None, "current_trial": None}
            WorkerStatus.objects.update_or_create(
                name=_name, defaults={**defaults, **dict.fromkeys(fields, now)}
            )
    except DatabaseError:
        close_old_connections()
        return False
    return True


def _beat() -> None:
    registered = False
    while True:
        ok = _touch("last_seen", register=not registered)
        registered = registered or ok
        connection.close()  # one connection per worker, not two: 64 workers and PostgreSQL's 100
        if _stop.wait(settings.HPOWEB["GRACE_S"] / 4):
            break


@worker_ready.connect
def _on_ready(sender, **_kwargs) -> None:
    global _name
    _name = sender.hostname
    queues = ",".join(sorted(q.name for q in sender.app.amqp.queues.consume_from.values()))
    _identity.update(host=socket.gethostname(), pid=os.getpid(), queues=queues, started=timezone.now())
    threading.Thread(target=_beat, name="hpoweb-worker-status", daemon=True).start()


@task_prerun.connect
def _on_task(**_kwargs) -> None:
    """At most one write per heartbeat period: short trials must not pay a transaction each."""
    global _consumed_written
    if time.monotonic() - _consumed_written >= settings.HPOWEB["HEARTBEAT_S"]:
        _consumed_written = time.monotonic()
        _touch("last_consumed")


def released(worker_name: str, trial_id: int) -> None:
    """This worker gave up a trial another attempt now owns: the page must not show it busy with it."""
    try:
        WorkerStatus.objects.filter(name=worker_name, current_trial=trial_id).update(current_trial=None)
    except DatabaseError:
        close_old_connections()


@worker_shutdown.connect
def _on_shutdown(**_kwargs) -> None:
    """A clean exit removes the row: only workers that vanished without a word stay listed as lost."""
    _stop.set()
    if _name is not None:
        try:
            WorkerStatus.objects.filter(name=_name).delete()
        except DatabaseError:
            pass
