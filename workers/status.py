"""Each worker keeps its `WorkerStatus` row current, so the workers page can tell live from lost.

Written three ways: once when the worker is ready (host, pid, queues); by a daemon thread every
heartbeat period (`last_seen`: the process is alive, even while its solo pool runs a long trial); and
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

from studies.models import WorkerStatus
from studies.services import db_now

log = logging.getLogger(__name__)

_name: str | None = None
_stop = threading.Event()


def _write(**fields) -> None:
    if _name is None:
        return
    try:
        WorkerStatus.objects.filter(name=_name).update(**fields)
    except DatabaseError:
        close_old_connections()


def _beat() -> None:
    while not _stop.wait(settings.HPOWEB["HEARTBEAT_S"]):
        _write(last_seen=db_now())
    connection.close()


@worker_ready.connect
def _on_ready(sender, **_kwargs) -> None:
    global _name
    _name = sender.hostname
    queues = ",".join(sorted(q.name for q in sender.app.amqp.queues.consume_from.values()))
    now = db_now()
    WorkerStatus.objects.update_or_create(
        name=_name,
        defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "queues": queues,
            "started": now,
            "last_seen": now,
            "last_consumed": None,
            "current_trial": None,
        },
    )
    threading.Thread(target=_beat, name="hpoweb-worker-status", daemon=True).start()


_consumed_written = 0.0


@task_prerun.connect
def _on_task(**_kwargs) -> None:
    """At most one write per heartbeat period: short trials must not pay a transaction each."""
    global _consumed_written
    if time.monotonic() - _consumed_written >= settings.HPOWEB["HEARTBEAT_S"]:
        _consumed_written = time.monotonic()
        _write(last_consumed=db_now())


@worker_shutdown.connect
def _on_shutdown(**_kwargs) -> None:
    """A clean exit removes the row: only workers that vanished without a word stay listed as lost."""
    _stop.set()
    if _name is not None:
        try:
            WorkerStatus.objects.filter(name=_name).delete()
        except DatabaseError:
            pass
