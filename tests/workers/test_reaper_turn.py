"""Busy workers reap once per reaper period between them: the first to take the turn in the shared
cache reaps, the others skip until the period has passed (64 busy workers each reaping every period
were 13 reaps a second)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from studies import services
from studies.models import Attempt
from studies.services import WorkerIdentity
from workers import reaper

pytestmark = pytest.mark.django_db

PERIOD_S = 0.5


def _silent_attempt(study) -> Attempt:
    """A claimed attempt whose worker went silent two grace periods ago."""
    services.schedule_trials(study.pk)
    queued = study.trials.filter(state="queued").order_by("number").first()
    attempt = services.claim_trial(queued.pk, WorkerIdentity.current("gone"))
    silent_since = timezone.now() - timezone.timedelta(seconds=2 * reaper.settings.HPOWEB["GRACE_S"])
    Attempt.objects.filter(pk=attempt.pk).update(heartbeat=silent_since)
    return attempt


def test_one_busy_worker_reaps_per_period_and_the_next_period_another_may(make_study, settings, monkeypatch):
    settings.HPOWEB = {**settings.HPOWEB, "REAPER_PERIOD_S": PERIOD_S}
    monkeypatch.setattr(reaper, "_judge_after", time.monotonic() - 1)  # its start-up grace long past
    cache.delete(reaper._TURN_KEY)
    study = make_study(max_trials=6, max_parallel=3)
    study.set_state("running")

    first = _silent_attempt(study)
    assert reaper.reap_if_our_turn() == 1  # this worker took the period's turn and reaped
    assert Attempt.objects.get(pk=first.pk).state == Attempt.State.FAILED

    second = _silent_attempt(study)
    assert reaper.reap_if_our_turn() == 0  # another worker of the same period skips
    assert Attempt.objects.get(pk=second.pk).state == Attempt.State.RUNNING

    time.sleep(PERIOD_S + 0.2)
    assert reaper.reap_if_our_turn() == 1  # the next period's first worker reaps
    assert Attempt.objects.get(pk=second.pk).state == Attempt.State.FAILED


def test_a_worker_in_its_own_grace_period_takes_no_turn(make_study, settings, monkeypatch):
    settings.HPOWEB = {**settings.HPOWEB, "REAPER_PERIOD_S": 60.0}
    monkeypatch.setattr(reaper, "_judge_after", time.monotonic() + 60)  # it just started
    cache.delete(reaper._TURN_KEY)
    assert reaper.reap_if_our_turn() == 0
    assert cache.get(reaper._TURN_KEY) is None  # the turn is left for a worker that may judge
