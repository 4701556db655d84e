"""The study page's tree of a conditional space: each parameter under the branch it belongs to, and
per branch (a parent's value) how many complete trials took it and the best value among them.

One aggregate query whatever the number of trials: a trial holds a parameter only while it is active,
so "the parent has this value" is a JSON key lookup on the trial's params.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Min, Q

from studies.models import Study, Trial
from studies.optimizers import SearchSpace


def tree_rows(space: SearchSpace) -> list[dict[str, Any]]:
    """Rows in tree order: {"kind": "param", "name", "depth", "also"} and {"kind": "branch", "parent",
    "value", "depth"}. A child with several parents hangs under each of them; "also" lists the
    conditions on its other parents as {"parent", "values"}."""
    children: dict[str, list[tuple[str, tuple]]] = {}
    for p in space.parameters:
        for parent, values in p.when:
            children.setdefault(parent, []).append((p.name, values))
    rows: list[dict[str, Any]] = []

    def add(name: str, depth: int, via: str | None) -> None:
        p = space.parameters[space.names.index(name)]
        also = [{"parent": parent, "values": list(values)} for parent, values in p.when if parent != via]
        rows.append({"kind": "param", "name": name, "depth": depth, "also": also})
        mine = children.get(name, [])
        for value in p.choices or sorted({v for _, values in mine for v in values}):
            under = [child for child, values in mine if value in values]
            if under:
                rows.append({"kind": "branch", "parent": name, "value": value, "depth": depth + 1})
                for child in under:
                    add(child, depth + 2, name)

    for p in space.parameters:
        if not p.when:
            add(p.name, 0, None)
    return rows


def space_tree(study: Study) -> list[dict[str, Any]]:
    """The tree rows of a conditional study, branches with "n" and "best"; [] for a flat space."""
    space = study.space.spec()
    if not space.is_conditional:
        return []
    rows = tree_rows(space)
    best = Min if study.direction == Study.Direction.MINIMIZE else Max
    aggregates = {}
    for i, row in enumerate(rows):
        if row["kind"] == "branch":
            held = Q(state=Trial.State.COMPLETE, **{f"params__{row['parent']}": row["value"]})
            aggregates[f"n{i}"] = Count("pk", filter=held)
            aggregates[f"best{i}"] = best("value", filter=held)
    totals = study.trials.aggregate(**aggregates)
    for i, row in enumerate(rows):
        if row["kind"] == "branch":
            row.update(n=totals[f"n{i}"], best=totals[f"best{i}"])
    return rows
