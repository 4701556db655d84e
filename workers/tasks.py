"""Celery tasks: thin wrappers that take ids and call a service or the runner."""

from __future__ import annotations

import math

from celery import shared_task
from celery.signals import task_prerun
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from studies import services
from workers import reaper, runner, status  # noqa: F401  (status: the worker's signal handlers)


@task_prerun.connect
def _check_database_connection(**_kwargs) -> None:
    """Each task as Django treats each request: the connection is kept (`CELERY_DB_REUSE_MAX`; opened
    for every task it cost PostgreSQL a backend and 64 workers a third of their CPU) and checked
    before its first query (`CONN_HEALTH_CHECKS`), so a database restarted meanwhile costs no task."""
    close_old_connections()


# A trial's or a step's message that meets a database error (down, or too loaded to start a
# connection in time) is sent again after 1, 2, 4, ... seconds, at most RETRY_CAP_S apart, until the
# reconciler's turn (`RECONCILE_AFTER_S`) has surely come: dropped, its trial (published, unclaimed)
# or its study's freed slot waited for the reconciler, two minutes idle. A copy whose work was done
# meanwhile finds it done (one claim wins; a step fills only free slots).
RETRY_CAP_S = 10
_RETRIES = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": RETRY_CAP_S,
    "retry_jitter": False,
    "max_retries": 4 + math.ceil(settings.HPOWEB["RECONCILE_AFTER_S"] / RETRY_CAP_S),  # 1+2+4+8, then 10s
}


@shared_task(name="workers.schedule_study", acks_late=True, ignore_result=True, **_RETRIES)
def schedule_study(study_id: int) -> int:
    return len(services.schedule_trials(study_id))


@shared_task(name="workers.run_trial", bind=True, acks_late=False, ignore_result=True, **_RETRIES)
def run_trial(self, trial_id: int) -> runner.RunOutcome:
    """Early ack: the database owns recovery, so a redelivery can never start a second run."""
    worker = services.WorkerIdentity.current(self.request.hostname or "")
    return runner.run_trial(trial_id, worker, chain_s=settings.HPOWEB["CHAIN_S"])


@shared_task(name="workers.reap", acks_late=True, ignore_result=True)
def reap() -> int:
    return reaper.reap()


@shared_task(name="workers.reconcile", acks_late=True, ignore_result=True)
def reconcile() -> int:
    return services.reconcile_queued()
