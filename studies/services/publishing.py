"""Messages to the workers, sent by task name once the transaction commits (`studies` never imports
`workers`): a study's scheduling step, its trials, its dashboard analysis.

The analysis (importance, the GP's slices and contour, the recommended trial: `studies.plots.analysis`)
is a model fit or several on the workers that run the trials, up to a tenth of their time. A study
that runs for days with nobody looking needs it once its results stop coming, not every few seconds:
a running study's results ask for one only while the study is watched, that is while somebody read
its stored analysis within `ANALYSIS_WATCH_S` (a page, a poll, a plot, the API's recommendation).
The first read after a quiet spell asks for one at once, covering the results since; the results of
a study that is no longer running (completed, paused, cancelled, failed) always ask. Being watched
lives in the shared cache, where every web and worker process sees it: losing it costs one catch-up
at the next read, never a result.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from studies.job_catalog import EXTERNAL
from studies.models import Study, Trial, WorkerStatus


def enqueue_schedule(study: Study) -> None:
    transaction.on_commit(
        lambda: current_app.send_task("workers.schedule_study", args=[study.pk], queue=study.queue)
    )


# Trials and analyses wait their turn behind every other message on their queue: a study's
# scheduling step (which fills the study's freed slots), the reaper's and the reconciler's turns.
# Behind the trials of 50 studies, a step waited a whole turn of the queue, its study ran a slot short
# meanwhile, and a study just started waited two turns for its first trial. Analyses stay in line
# with the trials: ahead of them, the first analyses of 50 studies would all run at once. Redis and
# the filesystem broker (hpoweb.broker) take the lowest number first; every other message has 0.
TRIAL_PRIORITY = 9


def enqueue_run(trial_ids: list[int], queue: str) -> None:
    """Wake a worker per trial; external workers' trials wait in the database for ask (never published).

    In the order published, after every other kind of message waiting (`TRIAL_PRIORITY`)."""
    if not trial_ids:
        return
    trial_ids = list(
        Trial.objects.filter(pk__in=trial_ids).exclude(study__job=EXTERNAL).values_list("pk", flat=True)
    )

    def publish() -> None:
        for trial_id in trial_ids:
            current_app.send_task("workers.run_trial", args=[trial_id], queue=queue, priority=TRIAL_PRIORITY)

    transaction.on_commit(publish)


def mark_watched(study: Study) -> None:
    """Someone reads `study`'s analysis: while it runs, keep it current for `ANALYSIS_WATCH_S`, and
    catch it up now if nobody did before (no query: pages that read it keep their query counts)."""
    if study.state != Study.State.RUNNING:  # its results ask for an analysis anyway
        return
    seconds = settings.HPOWEB["ANALYSIS_WATCH_S"]
    if cache.add(_watch_key(study.pk), True, seconds):
        # the task does nothing when the analysis already covers every result
        transaction.on_commit(lambda: _send_analysis(study, countdown=0.0))
    else:
        cache.touch(_watch_key(study.pk), seconds)


def _watch_key(study_id: int) -> str:
    return f"hpoweb:analysis-watched:{study_id}"


def enqueue_analysis(study: Study) -> None:
    """Ask a worker to refresh the study's analysis, at most once per window; a running study's only
    while it is watched (the module's docstring).

    The first result of a window wins a conditional update and sends the task with a countdown of
    one window, so the analysis that runs covers every result of that window, the last one too. The
    window grows to nine times the last analysis's duration, so analysis takes at most about a tenth
    of one worker's time however large the study (at a fifth it was a sixth of all the CPU that 16
    workers of 2 s trials used on a 2-core machine: docs/benchmarks.md, "Worker utilisation"). The
    workers are shared: with more running studies on the queue than workers, the window widens by
    that ratio, so that all the analyses together still take about a tenth of the workers' time (50
    studies on 16 workers spent most of it analysing and ran a quarter of the trials they could).
    """
    if study.state == Study.State.RUNNING and cache.get(_watch_key(study.pk)) is None:
        return
    now = timezone.now()
    # `analysis_requested` holds when the requested analysis runs: a result after that needs another.
    # (Compared with the request time instead, a window grown since the request by a slow analysis
    # left the last results of a finished study unanalysed.)
    due = Q(analysis_requested__isnull=True) | Q(analysis_requested__lte=now)
    rows = Study.objects.filter(due, pk=study.pk)
    seconds = rows.values_list("analysis_seconds", flat=True).first()
    if seconds is None:  # requested already for this window
        return
    every = max(settings.HPOWEB["ANALYSIS_EVERY_S"], 9 * seconds * _studies_per_worker(study.queue))
    if rows.update(analysis_requested=now + timezone.timedelta(seconds=every)) == 1:
        transaction.on_commit(lambda: _send_analysis(study, countdown=every))


def _send_analysis(study: Study, countdown: float) -> None:
    current_app.send_task(
        "workers.analyze_study",
        args=[study.pk],
        queue=study.queue,
        countdown=countdown,
        priority=TRIAL_PRIORITY,
    )


def _studies_per_worker(queue: str) -> float:
    """Running studies on `queue` per live worker that takes it; at least 1."""
    alive = timezone.now() - timezone.timedelta(seconds=settings.HPOWEB["GRACE_S"])
    served = WorkerStatus.objects.filter(last_seen__gte=alive).values_list("queues", flat=True)
    workers = sum(queue in queues.split(",") for queues in served)
    running = Study.objects.filter(state=Study.State.RUNNING, queue=queue).count()
    return max(1.0, running / max(workers, 1))
