"""Real workers analyse a running study after its results, throttled, and the last result is covered.

Runs on both sessions (SQLite + filesystem broker, PostgreSQL + Redis), like tests/test_end_to_end.py.
"""

from __future__ import annotations

import math
import re

import pytest
from django.conf import settings
from django.db.models import Max, Min

from studies import services
from studies.models import Study, StudyAnalysis
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

N_TRIALS = 10


def _analysed(study) -> int:
    return (
        StudyAnalysis.objects.filter(study=study, kind="importance")
        .values_list("n_trials", flat=True)
        .first()
        or 0
    )


def test_workers_analyse_the_study_a_few_times_and_finally_as_of_every_trial(make_study, workers):
    study = make_study(
        job="branin", max_trials=N_TRIALS, max_parallel=2, job_settings={"steps": 2, "duration_s": 0.2}
    )
    pool = [workers.start("w1"), workers.start("w2")]
    assert services.start_study(study)

    wait_for(
        lambda: Study.objects.get(pk=study.pk).state == Study.State.COMPLETED, 120, "the study", workers=pool
    )
    wait_for(lambda: _analysed(study) == N_TRIALS, 60, "the analysis of every trial", workers=pool)

    kinds = set(StudyAnalysis.objects.filter(study=study).values_list("kind", flat=True))
    assert {"importance", "posterior", "contour", "curve_band"} <= kinds
    # Analyses of this study: the broker may still hold an earlier test's analysis messages, whose
    # studies are gone (their task returns None).
    received = sum(
        len(re.findall(r"workers\.analyze_study\[[^]]+\] succeeded in \S+: \d+", w.log())) for w in pool
    )
    # The first result of each window asks for one analysis: at most one per window the results span
    # (and the last), whatever the machine's speed; on a quick run that is fewer than one per result.
    times = study.trials.aggregate(first=Min("finished"), last=Max("finished"))
    window = settings.HPOWEB.get("ANALYSIS_EVERY_S", 5.0)
    windows = math.floor((times["last"] - times["first"]).total_seconds() / window) + 1
    assert 1 <= received <= windows + 1, f"{received} analyses for results spanning {windows} windows"
