"""Celery tasks: thin wrappers that take ids and call a service or the runner."""

from __future__ import annotations

from celery import shared_task
from celery.signals import task_prerun
from django.conf import settings
from django.db import close_old_connections

from studies import services
from workers import reaper, runner, status  # noqa: F401  (status: the worker's signal handlers)


@task_prerun.connect
def _check_database_connection(**_kwargs) -> None:
    """Each task as Django treats each request: the connection is kept (`CELERY_DB_REUSE_MAX`; opened
    for every task it cost PostgreSQL a backend and 64 workers a third of their CPU) and checked
    before its first query (`CONN_HEALTH_CHECKS`), so a database restarted meanwhile costs no task."""
    close_old_connections()


@shared_task(name="workers.schedule_study", acks_late=True, ignore_result=True)
def schedule_study(study_id: int) -> int:
    return len(services.schedule_trials(study_id))


@shared_task(name="workers.run_trial", bind=True, acks_late=False, ignore_result=True)
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
