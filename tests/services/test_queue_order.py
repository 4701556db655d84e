"""The order workers take messages in: a scheduling step before the trials waiting on its queue.

Many studies share a queue. Behind the trials of 50 studies, a study's scheduling step waited a whole
turn of the queue, so the study ran a slot short meanwhile and a study just started waited two turns
for its first trial (docs/benchmarks.md, "Worker utilisation"). Trials still take turns among
themselves in the order they were published. The real broker of the test settings; no worker.
"""

from __future__ import annotations

import uuid

import pytest

from studies import services
from studies.models import Trial
from tests.conftest import empty_broker, take_messages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_study_started_behind_another_studys_waiting_trials_is_scheduled_before_them(make_study, settings):
    # who watches a study lives in the cache: one of its own, where nobody watched this study's id yet
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}}
    empty_broker()
    busy = make_study(name="busy", max_trials=40, max_parallel=16)
    busy.set_state("running")
    # sixteen trials published at once, as a worker does: several within one millisecond
    first_trials = services.schedule_trials(busy.pk)
    later = make_study(name="later")
    services.start_study(later)
    services.mark_watched(busy)  # someone opens it: the analysis it asks for stays in line with the trials

    taken = take_messages(busy.queue)
    assert taken[0] == ("workers.schedule_study", [later.pk])
    assert [args[0] for task, args in taken[1:17]] == first_trials
    assert taken[17] == ("workers.analyze_study", [busy.pk])
    assert Trial.objects.filter(study=later).count() == 0  # its trials come from that step
