"""The analysis task: ids in, `studies.plots.analysis` does the work (GP fits never run in a request)."""

from __future__ import annotations

from celery import shared_task

from studies.plots import analysis


@shared_task(name="workers.analyze_study", acks_late=True, ignore_result=True, soft_time_limit=600)
def analyze_study(study_id: int) -> int | None:
    """Idempotent: a redelivered or duplicate message finds the analysis current and does nothing."""
    return analysis.analyze_if_stale(study_id)
