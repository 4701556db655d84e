"""The analysis throttle: at most one requested analysis per window, never a result left out, and a
running study analysed only while someone reads its analysis (and once more when it ends)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from studies import services
from studies.exports import json_chunks
from studies.imports import import_study, read_document, warm_start
from studies.models import Project, Study, WorkerStatus
from studies.services import enqueue_analysis
from tests.conftest import empty_broker, take_messages
from tests.helpers import run_trials

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nobody_watched_yet(settings):
    """A cache of its own: who watched a study lives there, and an earlier test's study may have had
    this test's study's id."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}}


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
        services.mark_watched(study)  # a running study's results ask only while someone watches
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


def test_a_running_study_nobody_watches_asks_for_no_analysis_until_someone_reads_it(
    make_study, cast, client, django_capture_on_commit_callbacks
):
    """Importance and the GP's slices are model fits on the trial workers; a study left to run for
    days unwatched spent up to a tenth of a worker on them (docs/benchmarks.md, "Worker utilisation")."""
    study = make_study()
    study = run_trials(study, [3.0, 1.0])
    assert study.state == Study.State.RUNNING
    assert _requested(study) is None, "nobody read the analysis: the results asked for none"

    empty_broker()
    client.force_login(cast["viewer"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(reverse("study-plot", args=[study.pk, "importance"])).status_code == 200
        assert client.get(reverse("study-plot", args=[study.pk, "importance"])).status_code == 200
    assert take_messages(study.queue) == [("workers.analyze_study", [study.pk])], "one catch-up, at once"

    run_trials(study, [2.0])  # the next result, while the viewer watches, asks for the next window's
    assert _requested(study) is not None


def test_the_last_results_of_a_study_nobody_watched_are_analysed_when_it_completes(make_study):
    study = run_trials(make_study(max_trials=2, max_parallel=2), [3.0, 1.0])
    assert _requested(study) is None
    services.schedule_trials(study.pk)  # the step that finds the budget spent completes the study
    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED
    assert _requested(study) is not None, "its analysis is asked for: pages, exports and compare read it"


@pytest.mark.parametrize("stop", [services.pause_study, services.cancel_study])
def test_the_results_of_a_study_nobody_watched_are_analysed_when_it_is_paused_or_cancelled(make_study, stop):
    """A stopped study's pages never ask (only a running study's readers do), and no result may come
    after the stop: without a request there, its plots said "not computed yet" for good."""
    study = run_trials(make_study(max_trials=5, max_parallel=2), [3.0, 1.0])
    assert _requested(study) is None
    assert stop(study)
    assert _requested(study) is not None


def test_a_study_that_arrives_with_results_by_import_or_warm_start_asks_for_its_analysis(make_study, cast):
    """Nothing runs in them to ask, and their plots wait for the analysis (a stopped study's `pending`)."""
    source = run_trials(make_study(name="source"), [3.0, 1.0])
    document = read_document("".join(json_chunks(source)))

    imported = import_study(cast["owner"], Project.objects.get(name="Vision"), document, name="copy")
    warm = warm_start(cast["owner"], source, {"name": "warm", "max_trials": 4})

    assert _requested(imported) is not None and _requested(warm) is not None
