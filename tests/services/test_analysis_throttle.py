"""The analysis throttle: at most one requested analysis per window, and never a result left out."""

from __future__ import annotations

import time

import pytest

from studies.models import Study
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
