"""The leaderboard of a study with several objectives: feasible trials by Pareto rank (1 is the front),
then by one objective; infeasible ones after them, least violation first; unfinished ones last.

Every trial's objectives and constraints are read in one query (the database extracting the
numbers, and for a filtered leaderboard whether each trial is kept) and ordered by an O(n log n)
sort (`studies.front_sort`) and one `lexsort`; the page's trials are read by id.
"""

from __future__ import annotations

import numpy as np
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q

from studies import trial_sample
from studies.front_sort import front_ranks
from studies.models import Study, Trial
from studies.objectives import metric_columns, result_arrays

FEASIBLE, INFEASIBLE, UNRANKED = 0, 1, 2


def ranked_page(
    study: Study, by_metric: str, page_number: int, page_size: int, narrowed_to=None
) -> tuple[Page, list[Trial]]:
    """One page of the study's trials (of `narrowed_to`, a filtered queryset of them, when given)
    in Pareto order, each with `pareto_rank` (None unless complete and feasible). Past
    `trial_sample.READ_ALL` finished trials, of the plots' sample, which holds the Pareto set: rank 1 is
    the study's own front, the later ranks are within the sample (its `note` says so)."""
    metrics = [o["metric"] for o in study.objectives] + [c["metric"] for c in study.constraints]
    read = trial_sample.sample(study)
    trials = read.narrow(study.trials.order_by("number"))
    if narrowed_to is not None:  # whether each trial is kept, in the same query
        kept_trial = Q(pk__in=narrowed_to.values("pk"))
        trials = trials.annotate(kept=ExpressionWrapper(kept_trial, output_field=BooleanField()))
    fields = ("pk", "number", "state", "kept") if narrowed_to is not None else ("pk", "number", "state")
    rows, columns = metric_columns(trials, metrics, *fields, complete_only=False)
    pks = np.array([row[0] for row in rows], dtype=np.int64)
    rank, order = _order(study, by_metric, rows, columns)
    if narrowed_to is not None:
        kept = np.array([bool(row[3]) for row in rows], dtype=bool)
        order = order[kept[order]]
    page = Paginator(pks[order].tolist(), page_size).get_page(page_number)
    found = {t.pk: t for t in Trial.objects.filter(pk__in=list(page.object_list))}
    shown = [found[pk] for pk in page.object_list if pk in found]
    position = {pk: i for i, pk in enumerate(pks.tolist())}
    for trial in shown:
        trial.pareto_rank = rank[position[trial.pk]] or None
    page.note = "ranked " + trial_sample.note(read, "the Pareto set, the best, the latest and an even spread")
    return page, shown


def _order(study: Study, by_metric: str, rows: list[tuple], columns: dict) -> tuple[list[int], np.ndarray]:
    """(1-based rank of each row, 0 when not ranked; the rows' indices in leaderboard order)."""
    complete = np.array([row[2] == Trial.State.COMPLETE for row in rows], dtype=bool)
    numbers = np.array([row[1] for row in rows], dtype=np.int64)
    losses, violation = result_arrays(study.objectives, study.constraints, columns)
    ok = complete & np.all(np.isfinite(losses), axis=1) & (violation <= 0)
    group = np.where(ok, FEASIBLE, np.where(complete, INFEASIBLE, UNRANKED))
    primary = np.where(complete & ~ok, np.nan_to_num(violation, nan=np.inf), 0.0)
    primary[ok] = front_ranks(losses[ok])
    position = next(i for i, o in enumerate(study.objectives) if o["metric"] == by_metric)
    tie = np.where(complete, np.nan_to_num(losses[:, position], nan=np.inf), 0.0)
    rank = np.where(ok, primary + 1, 0).astype(int).tolist()
    return rank, np.lexsort((numbers, tie, primary, group))
