"""Which trials a plot, the analysis or a leaderboard page of a large study reads: every one up to
`READ_ALL` finished trials, past it a bounded sample read through indexes, so a plot of a million
trials costs what one of 20,000 does.

The sample holds the `BEST` best complete trials (the (study, value) index), the `RECENT` latest by
number and an even spread of `EVEN` numbers over the whole study (the unique (study, number) index,
one IN list), and every trial of the summary's best path (each one that improved on all before
it) and of its Pareto set (several objectives): so the best-so-far line drawn through the sample is
the study's own, and so is the front, exactly. A distribution
(the EDF) reads the even spread alone, which the best would bias. The figure's title says that it
draws a sample, and of how many trials (`note`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db.models import F, Lookup, QuerySet

from studies.models import Study, StudySummary, Trial
from studies.models.summary import best_complete

READ_ALL = 20_000
BEST = 500
RECENT = 500
EVEN = 3_000
LATEST = 5_000  # the timeline's: a stretch of time, not a spread
COUNTS = ("n_trials", *(f"n_{state}" for state in Trial.State.values))


@dataclass(frozen=True)
class Sample:
    """`numbers`: the trial numbers to read, None for every trial; `counts`: the study's trials per
    state (its summary's), whatever is read; `last`: the highest trial number."""

    numbers: list[int] | None
    counts: dict[str, int]
    last: int
    front: list[int]  # the numbers of the Pareto set (several objectives), always in the sample

    @property
    def n_finished(self) -> int:
        return sum(self.counts[state] for state in Trial.FINISHED)

    def narrow(self, trials: QuerySet) -> QuerySet:
        return trials if self.numbers is None else trials.filter(AnyOf(F("number"), self.numbers))

    def latest(self, trials: QuerySet, n: int) -> QuerySet:
        """The latest `n` trials by number when sampled, else every trial."""
        return trials if self.numbers is None else trials.filter(number__gt=self.last - n)


class AnyOf(Lookup):
    """`number = ANY(%s)` on PostgreSQL: the sample's ~4,000 numbers as one array parameter, where
    `number__in` sent (and Django compiled, and the server parsed) 4,000 of them for every query of
    a page; `IN` elsewhere."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*params, *self.rhs]


def sample(study: Study, representative: bool = False) -> Sample:
    """The trials a plot of `study` reads; `representative`: the even spread only (a distribution)."""
    return samples([study], representative)[study.pk]


def samples(studies: list[Study], representative: bool = False) -> dict[int, Sample]:
    """`sample` of each study, their summaries read in one query (a comparison of several)."""
    fields = ("study_id", *COUNTS, "best_path", "pareto")
    summaries = {
        row["study_id"]: row for row in StudySummary.objects.filter(study__in=studies).values(*fields)
    }
    return {study.pk: _sample(study, summaries[study.pk], representative) for study in studies}


def _sample(study: Study, summary: dict, representative: bool) -> Sample:
    counts = {state: summary[f"n_{state}"] for state in Trial.State.values}
    last = summary["n_trials"]
    front = [row[0] for row in summary["pareto"]]
    if sum(counts[state] for state in Trial.FINISHED) <= READ_ALL:
        return Sample(None, counts, last, front)
    numbers = set(np.linspace(1, last, EVEN).round().astype(int).tolist())
    if not representative:
        numbers.update(range(max(1, last - RECENT + 1), last + 1))
        numbers.update(number for number, _ in summary["best_path"])
        numbers.update(front)
        numbers.update(best_complete(study.trials, study.direction).values_list("number", flat=True)[:BEST])
    return Sample(sorted(numbers), counts, last, front)


def note(read: Sample, what: str = "the best, the latest and an even spread") -> str:
    """What a figure adds to its title when it drew from a sample ("" otherwise)."""
    if read.numbers is None:
        return ""
    return f"from {len(read.numbers):,} of {read.n_finished:,} finished trials: {what}"
