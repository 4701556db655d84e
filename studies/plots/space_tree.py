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
    """Rows in tree order: {"kind": "param", "name", "depth"} and {"kind": "branch", "parent", "value",
    "depth"}; a child with several parents hangs under the first one."""
    first_parent = {p.name: p.when[0] for p in space.parameters if p.when}
    rows: list[dict[str, Any]] = []

    def add(name: str, depth: int) -> None:
        rows.append({"kind": "param", "name": name, "depth": depth})
        children = [(c, values) for c, (parent, values) in first_parent.items() if parent == name]
        p = space.parameters[space.names.index(name)]
        for value in p.choices or sorted({v for _, values in children for v in values}):
            under = [c for c, values in children if value in values]
            if under:
                rows.append({"kind": "branch", "parent": name, "value": value, "depth": depth + 1})
                for child in under:
                    add(child, depth + 2)

    for p in space.parameters:
        if not p.when:
            add(p.name, 0)
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
