"""Scheduling reads a study's trials as they were at one moment, however they change meanwhile.

The change is real: after each read of the trials, another database connection (not Django's) marks
the next running trial complete and commits, as a worker finishing would. Read one by one, the trial
that finished between the read of the finished trials and that of the open ones was in neither:
the optimizer saw a free slot too many and could propose that trial's point again.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from studies.models import SpaceRecord, Trial
from studies.services.history import scheduling_inputs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _finish_one_elsewhere(study_id: int) -> None:
    """Mark the study's lowest-numbered running trial complete through a connection of its own. On
    SQLite, while a reader holds its snapshot the write is refused at once (it would wait otherwise)."""
    sql = (
        "UPDATE studies_trial SET state = 'complete', value = 1.0 WHERE id = (SELECT id FROM studies_trial"
        " WHERE study_id = {p} AND state = 'running' ORDER BY number LIMIT 1)"
    )
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        other = sqlite3.connect(settings["NAME"], timeout=0, isolation_level=None)
        try:
            other.execute(sql.format(p="?"), (study_id,))
        except sqlite3.OperationalError as locked:
            assert "locked" in str(locked)
        finally:
            other.close()
    else:
        import psycopg

        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            autocommit=True,
        ) as other:
            other.execute(sql.format(p="%s"), (study_id,))


def test_a_trial_finishing_while_scheduling_reads_is_seen_once_either_open_or_finished(make_study):
    study = make_study(name="racing", max_trials=20, max_parallel=4)
    for number in range(1, 9):
        state = Trial.State.COMPLETE if number <= 4 else Trial.State.RUNNING
        value = float(number) if state == Trial.State.COMPLETE else None
        Trial.objects.create(
            study=study, number=number, params={"x1": number, "x2": 0.0}, state=state, value=value
        )

    def finish_after_each_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT") and "studies_trial" in sql:
            _finish_one_elsewhere(study.pk)
        return result

    with connection.execute_wrapper(finish_after_each_read):
        inputs = scheduling_inputs(study, SpaceRecord.spec_of(study.space_id))

    seen = sorted([params["x1"] for params, _ in inputs.history] + [p["x1"] for p in inputs.pending])
    assert seen == list(range(1, 9))
    assert len(inputs.pending) == 8 - len(inputs.history)
