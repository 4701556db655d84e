"""A stored report counts as the attempt's heartbeat, and only a stored one: a job that reports often
but only values that cannot be stored (NaN) must still heartbeat, or the reaper would call it lost."""

from __future__ import annotations

import time

import pytest

from studies import services
from studies.models import Attempt
from studies.services import WorkerIdentity
from workers import runner

pytestmark = pytest.mark.django_db

BEAT_S = 0.2


class ReportingJob:
    """Stands in for the job's process (not for the database): a report every 50 ms for `seconds`,
    then a result."""

    takes_answers = True
    output = None

    def __init__(self, value: float, seconds: float) -> None:
        self.status, self._value, self._until, self._step = None, value, time.monotonic() + seconds, 0

    def messages(self, timeout: float):
        time.sleep(min(timeout, 0.05))
        if time.monotonic() < self._until:
            self._step += 1
            yield {"step": self._step, "value": self._value}
        else:
            self.status = 0
            yield {"value": 1.0}

    def answer(self, prune: bool) -> None:
        pass


def _running_attempt(make_study) -> Attempt:
    study = make_study(max_trials=2, max_parallel=1)
    study.set_state("running")
    trial_id = services.schedule_trials(study.pk, keep=1)[0]
    return services.claim_trial(trial_id, WorkerIdentity.current("w1"))


@pytest.mark.parametrize("value", [float("nan"), 0.5])
def test_the_heartbeat_moves_while_a_job_reports(make_study, settings, value):
    settings.HPOWEB = {**settings.HPOWEB, "HEARTBEAT_S": BEAT_S}
    attempt = _running_attempt(make_study)
    claimed = Attempt.objects.get(pk=attempt.pk).heartbeat

    outcome = runner.supervise(ReportingJob(value, seconds=4 * BEAT_S), attempt.pk, None)

    assert outcome.state == Attempt.State.COMPLETE
    beat = Attempt.objects.get(pk=attempt.pk).heartbeat
    assert (beat - claimed).total_seconds() >= 2 * BEAT_S  # refreshed during the last beat periods
