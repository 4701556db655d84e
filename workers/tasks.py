"""Celery tasks: thin wrappers that take ids and call a service or the runner."""

from __future__ import annotations

from typing import NoReturn

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


# A trial's or a step's message that meets a database error is sent again after 1, 2, 4, ... seconds,
# at most this many apart, until the reconciler's turn (`RECONCILE_AFTER_S`) has surely come.
RETRY_CAP_S = 10.0


def _again(task, error: DatabaseError) -> NoReturn:
    """Send `task`'s message again later, or, once the reconciler has surely had its turn, fail.

    Taken while the database is unreachable (down, or too loaded to start a connection in time), the
    message would be dropped: its trial, published and unclaimed, or its study's freed slot would
    wait for the reconciler, two minutes idle. A copy whose work was done meanwhile finds it done
    (one claim wins; a step fills only free slots).
    """
    waited = sum(min(2.0**i, RETRY_CAP_S) for i in range(task.request.retries))
    if waited > settings.HPOWEB["RECONCILE_AFTER_S"]:
        raise error
    raise task.retry(exc=error, countdown=min(2.0**task.request.retries, RETRY_CAP_S)) from error


@shared_task(name="workers.schedule_study", bind=True, acks_late=True, ignore_result=True, max_retries=None)
def schedule_study(self, study_id: int) -> int:
    try:
        return len(services.schedule_trials(study_id))
    except DatabaseError as error:
        _again(self, error)


@shared_task(name="workers.run_trial", bind=True, acks_late=False, ignore_result=True, max_retries=None)
def run_trial(self, trial_id: int) -> runner.RunOutcome:
    """Early ack: the database owns recovery, so a redelivery can never start a second run."""
    worker = services.WorkerIdentity.current(self.request.hostname or "")
    try:
        return runner.run_trial(trial_id, worker, chain_s=settings.HPOWEB["CHAIN_S"])
    except DatabaseError as error:
        _again(self, error)


@shared_task(name="workers.reap", acks_late=True, ignore_result=True)
def reap() -> int:
    return reaper.reap()


@shared_task(name="workers.reconcile", acks_late=True, ignore_result=True)
def reconcile() -> int:
    return services.reconcile_queued()
