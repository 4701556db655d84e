"""What the workers page concludes from each worker's `WorkerStatus` row (written by `workers.status`).

- lost: no sign of life for longer than the grace period (killed, frozen, host gone);
- not consuming: alive and idle, yet a trial on one of its queues has waited longer than the grace
  period and the worker has taken no message since it was published: the broker connection is up but
  nothing arrives (celery#8030 after a Redis restart); restart that worker;
- busy with a trial (the last one it claimed, while that trial runs), or idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min

from studies.models import Study, Trial, WorkerStatus

HIDE_LOST_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class WorkerHealth:
    worker: WorkerStatus
    health: str  # "busy", "idle", "not consuming" or "lost"
    detail: str
    silent_s: float


def _oldest_waiting(queues: set[str]) -> dict[str, datetime]:
    rows = (
        Trial.objects.filter(
            state=Trial.State.QUEUED, study__state=Study.State.RUNNING, study__queue__in=queues
        )
        .values("study__queue")
        .annotate(oldest=Min("enqueued"))
    )
    return {row["study__queue"]: row["oldest"] for row in rows}


def _judge(
    worker: WorkerStatus, now: datetime, waiting: dict[str, datetime], grace: timedelta
) -> WorkerHealth:
    silent = now - worker.last_seen
    if silent > grace:
        detail = f"no sign of life for {silent.total_seconds():.0f} s"
        return WorkerHealth(worker, "lost", detail, silent.total_seconds())
    if worker.current_trial is not None and worker.current_trial.state == Trial.State.RUNNING:
        return WorkerHealth(worker, "busy", "", silent.total_seconds())
    consumed = worker.last_consumed or worker.started
    for queue in worker.queues.split(","):
        since = waiting.get(queue)
        if since is not None and now - since > grace and consumed < since:
            detail = (
                f"idle while a trial has waited {(now - since).total_seconds():.0f} s in queue {queue}; "
                "its broker connection delivers nothing: restart it"
            )
            return WorkerHealth(worker, "not consuming", detail, silent.total_seconds())
    return WorkerHealth(worker, "idle", "", silent.total_seconds())


def worker_health(now: datetime) -> list[WorkerHealth]:
    """Every worker seen within a day, judged at `now` (the database clock)."""
    grace = timedelta(seconds=settings.HPOWEB["GRACE_S"])
    workers = list(
        WorkerStatus.objects.filter(last_seen__gte=now - HIDE_LOST_AFTER).select_related(
            "current_trial__study"
        )
    )
    queues = {q for w in workers for q in w.queues.split(",") if q}
    waiting = _oldest_waiting(queues)
    return [_judge(worker, now, waiting, grace) for worker in workers]
