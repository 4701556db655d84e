"""A running trial's heartbeats and reports are cheap and never wait for the study: each is a few
statements that lock the trial's row alone, so 64 workers of one study do not queue behind the
study's scheduling step or one another (docs/benchmarks.md, "Worker utilisation")."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from studies import services
from studies.models import Study, TrialMetric
from studies.services import WorkerIdentity

WORKER = WorkerIdentity.current("w1")
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")  # a test runs in a transaction


def _running_attempt(make_study):
    study = make_study(max_trials=4, max_parallel=1)
    services.start_study(study)
    trial_id = services.schedule_trials(study.pk)[0]
    return study, services.claim_trial(trial_id, WORKER)


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(CONTROL)]


@pytest.mark.django_db
def test_a_report_is_three_statements_and_a_repeated_step_keeps_its_first_value(make_study):
    _study, attempt = _running_attempt(make_study)
    with CaptureQueriesContext(connection) as queries:
        assert services.record_metric(attempt.pk, 1, 0.5)
    # the fenced read, the point, the heartbeat: no separate read of the point or of the clock
    assert len(_statements(queries.captured_queries)) == 3
    assert services.record_metric(attempt.pk, 1, 0.9)
    assert list(TrialMetric.objects.filter(attempt=attempt).values_list("step", "value")) == [(1, 0.5)]


@pytest.mark.django_db
def test_a_heartbeat_is_two_statements(make_study):
    _study, attempt = _running_attempt(make_study)
    with CaptureQueriesContext(connection) as queries:
        assert services.heartbeat(attempt.pk)
    assert len(_statements(queries.captured_queries)) == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_heartbeats_and_reports_go_on_while_the_study_row_is_locked(make_study):
    if connection.vendor != "postgresql":  # SQLite locks the whole database for any write
        pytest.fail("this test needs PostgreSQL: run it with make test-services", pytrace=False)
    study, attempt = _running_attempt(make_study)
    locked, release = threading.Event(), threading.Event()

    def hold_study() -> None:  # as a scheduling step storing its trials does
        with transaction.atomic():
            Study.objects.select_for_update(no_key=True).get(pk=study.pk)
            locked.set()
            release.wait(60)
        connection.close()

    def write() -> None:
        services.heartbeat(attempt.pk)
        services.record_metric(attempt.pk, 1, 0.5)
        connection.close()

    holder = threading.Thread(target=hold_study)
    holder.start()
    try:
        assert locked.wait(30)
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(15)
        assert not writer.is_alive(), "the heartbeat or the report waited for the study's lock"
    finally:
        release.set()
        holder.join()
        writer.join()
    assert TrialMetric.objects.filter(attempt=attempt, step=1).exists()
