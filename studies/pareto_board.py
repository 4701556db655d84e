"""The leaderboard of a study with several objectives: feasible trials by Pareto rank (1 is the front),
then by one objective; infeasible ones after them, least violation first; unfinished ones last.

The order is computed over every complete trial (one query and an O(n log n) sort,
`studies.front_sort`), then a page of the filtered trials is read by id (one more query), so the
page costs the same at 10,000 trials whatever the filter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.core.paginator import Page, Paginator

from studies.front_sort import front_ranks
from studies.models import Study, Trial
from studies.objectives import complete_columns, result_arrays

FEASIBLE, INFEASIBLE, UNRANKED = 0, 1, 2


@dataclass(frozen=True)
class ParetoOrder:
    """Each complete trial's sort key and, for the feasible ones, its Pareto rank (1-based)."""

    key: dict[int, tuple]
    rank: dict[int, int]

    def key_of(self, pk: int, number: int) -> tuple:
        return self.key.get(pk, (UNRANKED, 0.0, 0.0, number))


def pareto_order(study: Study, by_metric: str) -> ParetoOrder:
    """The order of `study`'s trials: feasible by rank then `by_metric` (in its direction), then
    infeasible by violation then `by_metric`."""
    rows, columns = complete_columns(study, "pk", "number")
    losses, violation = result_arrays(study.objectives, study.constraints, columns)
    violation = np.nan_to_num(violation, nan=np.inf)
    position = next(i for i, o in enumerate(study.objectives) if o["metric"] == by_metric)
    ok = np.all(np.isfinite(losses), axis=1) & (violation <= 0)
    ranks = np.zeros(len(rows), dtype=int)
    ranks[ok] = front_ranks(losses[ok])
    tie = np.nan_to_num(losses[:, position], nan=np.inf).tolist()
    key, rank = {}, {}
    for i, (pk, number) in enumerate(rows):
        if ok[i]:
            key[pk] = (FEASIBLE, int(ranks[i]), tie[i], number)
            rank[pk] = int(ranks[i]) + 1
        else:
            key[pk] = (INFEASIBLE, float(violation[i]), tie[i], number)
    return ParetoOrder(key, rank)


def ranked_page(trials, order: ParetoOrder, page_number: int, page_size: int) -> tuple[Page, list[Trial]]:
    """One page of `trials` (a queryset of one study's trials) in `order`, each with `pareto_rank`."""
    ids = sorted(trials.values_list("pk", "number"), key=lambda row: order.key_of(*row))
    page = Paginator([pk for pk, _ in ids], page_size).get_page(page_number)
    found = {t.pk: t for t in Trial.objects.filter(pk__in=list(page.object_list))}
    shown = [found[pk] for pk in page.object_list if pk in found]
    for trial in shown:
        trial.pareto_rank = order.rank.get(trial.pk)
    return page, shown
