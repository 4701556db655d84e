"""The analysis throttle: at most one requested analysis per window, and never a result left out."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from studies.models import Study, WorkerStatus
from studies.services import enqueue_analysis

pytestmark = pytest.mark.django_db


def _requested(study) -> object:
    return Study.objects.values_list("analysis_requested", flat=True).get(pk=study.pk)


def test_a_result_after_the_requested_analysis_ran_asks_for_another_even_when_the_window_grew(
    make_study, settings
):
    settings.HPOWEB = {**settings.HPOWEB, "ANALYSIS_EVERY_S": 0.3}
    study = make_study()
    enqueue_analysis(study)  # sent with a countdown of 0.3 s
    first = _requested(study)
    enqueue_analysis(study)
    assert _requested(study) == first, "a second result of the same window asks for nothing"
    # The analysis ran after its countdown and took 2 s: the next window is 8 s long. A result that
    # arrives after that analysis started is in no analysis yet, so it must ask for one.
    Study.objects.filter(pk=study.pk).update(analysis_seconds=2.0)
    time.sleep(0.4)
    enqueue_analysis(study)
    assert _requested(study) != first


def _window_s(study) -> float:
    """The seconds until the analysis that `enqueue_analysis` just requested runs."""
    return (_requested(study) - timezone.now()).total_seconds()


def test_more_running_studies_than_workers_widen_each_studys_window_by_their_ratio(make_study, settings):
    """The workers are shared: 50 studies on 16 workers each analysed as often as one study alone
    spent most of the workers' time analysing (docs/benchmarks.md, "Worker utilisation")."""
    settings.HPOWEB = {**settings.HPOWEB, "ANALYSIS_EVERY_S": 0.1}
    studies = [make_study(name=f"study {i}") for i in range(4)]
    for study in studies:
        study.set_state("running")
    Study.objects.update(analysis_seconds=1.0)  # each analysis takes 1 s: a window of 9 s alone
    WorkerStatus.objects.create(name="w1", host="h", pid=1, queues=f"gpu,{studies[0].queue}")
    WorkerStatus.objects.create(name="w2", host="h", pid=2, queues="gpu")  # not on the studies' queue

    enqueue_analysis(studies[0])
    assert 35 < _window_s(studies[0]) <= 36, "4 running studies on 1 worker: 4 times as wide"

    for i in range(3, 6):
        WorkerStatus.objects.create(name=f"w{i}", host="h", pid=i, queues=studies[0].queue)
    Study.objects.update(analysis_requested=None)
    enqueue_analysis(studies[1])
    assert 8 < _window_s(studies[1]) <= 9, "as many workers as studies: the study's own window"
