"""What scheduling reads of a study: a bounded history, the pending points and indexed counts.

Reading every trial made each scheduling step cost O(trials) inside the study's lock (1.8 s at
100,000 trials) and each suggestion too (tpe re-weighs every trial). The optimizer instead gets

- the `BEST` best complete trials: the good region, exactly (tpe's good set is at most 25 trials,
  gp conditions on its best 333 of at most 1,000), however old they are;
- the `RECENT` most recent finished trials: where the search is now (cmaes replays them, tpe's
  weights favour them, gp's random rest draws from them);

in number order, and every queued or running trial plus the `RECENT` most recent cancelled ones as
pending (no optimizer proposes their points again). The budget and the free slots are counted by
the study's summary (`StudySummary`), not here. The choice is measured against the full history
on the public problems in docs/benchmarks.md ("Bounded history").

The full history is read only where an optimizer must see every point to never repeat one and the
study cannot outgrow a bound anyway: grid search, and a space whose parameters are all discrete with
at most `FULL_CELLS` points (such a study has at most that many distinct trials). None is read for
an optimizer that does not read it (`Optimizer.reads_history`: random search where every point holds
a continuous parameter): it is told `last_trial_number` instead.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import F, Max

from studies.models import Study, Trial
from studies.optimizers import SearchSpace

BEST = 400
RECENT = 1000
FULL_CELLS = 20_000
_HISTORY_STATES = (Trial.State.COMPLETE, Trial.State.PRUNED, Trial.State.FAILED)
# a row as read: the point comes from `_points`, by the trial's identity
_FIELDS = ("pk", "created", "number", "state", "value", "values")


@dataclass(frozen=True)
class Inputs:
    """What one scheduling step knows of its study."""

    history: list[tuple[dict, float | None]]
    pending: list[dict]
    last_number: int  # at least the number of trials: numbers are distinct positive integers
    partial: bool  # the history or pending points may leave some trials out

    def seed(self, study_seed: int) -> int:
        """The optimizer's seed: the study's while it sees every trial; else mixed with the number of
        trials, since optimizers advance their random streams by the history's length, which stops
        growing once it is bounded (the same draws every step otherwise)."""
        if not self.partial:
            return study_seed
        return int(np.random.SeedSequence([study_seed, self.last_number]).generate_state(1)[0])


def scheduling_inputs(study: Study, space: SearchSpace) -> Inputs:
    """The bounded history, the pending points and the last number of `study`, in a handful of indexed
    reads of one snapshot."""
    trials = study.trials.all()
    with _one_snapshot():
        last_number = last_trial_number(study)
        if _needs_full_history(study, space):
            rows = list(trials.order_by("number").values_list(*_FIELDS))
        else:
            rows = _bounded_rows(trials, study.direction)
        rows = _with_points(rows)
    history, pending = split_rows(rows, by_values=bool(study.objectives))
    return Inputs(history, pending, last_number, last_number > len(rows))


def last_trial_number(study: Study) -> int:
    """The number of the study's last trial (0 before the first): how many trials it has made.

    The trials a step proposes while it is L are numbered above L, so no trial of the study came from
    the random stream a step indexes by it, even after an admin deleted some (the summary's `n_trials`
    falls with any deletion, and would index a used stream again)."""
    return study.trials.aggregate(last=Max("number"))["last"] or 0


class _Points:
    """Trials' parameters by (pk, created), kept by each process, least recently used first out.

    A trial's point never changes once stored, and decoding the JSON of the up to 1,400 rows a
    bounded step reads was most of that step's reading; each step now decodes only the points of
    trials new to this process. The creation time is in the key so that a database rebuilt under a
    running process (a restore, or a test's rollback reusing an id) cannot serve another trial's point.
    """

    SIZE = 4 * (BEST + RECENT)  # several studies' bounded histories and pending points
    CHUNK = 500  # ids per query, under every backend's limit on parameters

    def __init__(self) -> None:
        self._points: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, keys: list[tuple]) -> dict[tuple, dict]:
        with self._lock:
            found = {key: self._points[key] for key in keys if key in self._points}
            for key in found:
                self._points.move_to_end(key)
        missing = [key for key in keys if key not in found]
        for start in range(0, len(missing), self.CHUNK):
            chunk = dict(missing[start : start + self.CHUNK])
            rows = Trial.objects.filter(pk__in=chunk).values_list("pk", "created", "params")
            found.update(((pk, created), params) for pk, created, params in rows)
        with self._lock:
            for key in missing:
                if key in found:
                    self._points[key] = found[key]
            while len(self._points) > self.SIZE:
                self._points.popitem(last=False)
        return found


_POINTS = _Points()


def _with_points(rows: list[tuple]) -> list[tuple]:
    """(pk, created, number, state, value, values) rows as (number, params, state, value, values)."""
    points = _POINTS.of([(pk, created) for pk, created, *_ in rows])
    return [(number, points[(pk, created)], *rest) for pk, created, number, *rest in rows]


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Several reads that see the database at one moment. Read one by one, a trial that finished
    between the read of the finished trials and that of the open ones was in neither: the optimizer
    saw a free slot too many and could propose that trial's point again. PostgreSQL needs REPEATABLE
    READ for this (READ COMMITTED takes a snapshot per statement); SQLite's transaction, begun
    IMMEDIATE here, keeps writers out until it ends. Inside a caller's transaction (the study's lock)
    the reads join it."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _needs_full_history(study: Study, space: SearchSpace) -> bool:
    if study.optimizer == "grid":
        return True
    return (
        all(p.n_levels for p in space.parameters)
        and math.prod(p.n_levels for p in space.parameters) <= FULL_CELLS
    )


def _bounded_rows(trials, direction: str) -> list[tuple]:
    """The best complete, the most recent finished, the open and the most recent cancelled trials,
    each through an index, in number order without duplicates. With several objectives "best" is by
    the first one (its value mirrors it); the recent trials carry the rest of the front."""
    value = F("value").desc() if direction == Study.Direction.MAXIMIZE else F("value").asc()
    complete = trials.filter(state=Trial.State.COMPLETE, value__isnull=False)
    parts = (
        complete.order_by(value, "number")[:BEST],
        trials.filter(state__in=_HISTORY_STATES).order_by("-number")[:RECENT],
        trials.filter(state__in=Trial.QUEUED_OR_RUNNING).order_by(),  # any order: sorted below
        trials.filter(state=Trial.State.CANCELLED).order_by("-number")[:RECENT],
    )
    rows = {row[2]: row for part in parts for row in part.values_list(*_FIELDS)}
    return [rows[number] for number in sorted(rows)]


def split_rows(rows, by_values: bool = False) -> tuple[list[tuple[dict, float | dict | None]], list[dict]]:
    """History and pending points from (number, params, state, value, values) rows. A study defined
    by objectives gives a complete trial's `values` (every objective and constraint metric) as its
    outcome, and any other finished trial None.

    Cancelled trials are not history (they never ran to tell anything) but stay pending, so no
    optimizer proposes their point again (a retry runs it, not a new trial beside it).
    """
    history, pending = [], []
    for _number, params, state, value, values in rows:
        if state in Trial.QUEUED_OR_RUNNING or state == Trial.State.CANCELLED:
            pending.append(params)
        elif state == Trial.State.FAILED:
            history.append((params, None))
        elif by_values:
            history.append((params, values if state == Trial.State.COMPLETE else None))
        else:
            history.append((params, value))
    return history, pending
