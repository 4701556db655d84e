"""Conditions of a tree-shaped space: a parameter's `when` names parents and the values they must take.

A parameter is active while every parent it names is active and takes one of the listed values.
Parents are categorical or int parameters; the parameters form a forest (no cycles), and each
condition can hold: every requirement on an ancestor, gathered along all paths, leaves some value.
Because every condition is a conjunction of "parameter in set", that check is exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

When = tuple[tuple[str, tuple[Any, ...]], ...]
MAX_VALUES = 1000  # per parent, as a categorical's choices: conditions are checked inside a request


def choice_key(value: Any) -> tuple[str, Any]:
    """A dict key equal for choices that are the same in JSON: True, 1 and "1" stay apart, 1 == 1.0."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return (type(value).__name__, value)


def parse_when(name: str, raw: Any, error: type[ValueError]) -> When:
    """The shape of a `when` (an object of parent -> non-empty list of plain values), in given order."""
    if not isinstance(raw, Mapping) or not raw:
        raise error(name, "when", f"parameter {name!r}: 'when' must be an object of parent -> list of values")
    out = []
    for parent, values in raw.items():
        if not isinstance(values, list | tuple) or not values:
            raise error(name, "when", f"parameter {name!r}: 'when' of {parent!r} must be a non-empty list")
        if len(values) > MAX_VALUES:
            raise error(
                name, "when", f"parameter {name!r}: 'when' of {parent!r} lists at most {MAX_VALUES} values"
            )
        for value in values:
            if not isinstance(value, str | int | float | bool) or (
                isinstance(value, float) and not math.isfinite(value)
            ):
                raise error(name, "when", f"parameter {name!r}: 'when' value {value!r} is not a plain value")
        out.append((str(parent), tuple(dict((choice_key(v), v) for v in values).values())))
    return tuple(out)


def check_forest(parameters: Sequence[Any], error: type[ValueError]) -> list[int]:
    """Check every condition of the space; return parameter indices in an order with parents first."""
    index = {p.name: i for i, p in enumerate(parameters)}
    for p in parameters:
        for parent, values in p.when:
            _check_parent(p, parent, values, parameters, index, error)
    order = _topological(parameters, index, error)
    _check_satisfiable(parameters, order, error)
    return order


def _check_parent(p: Any, parent: str, values: tuple, parameters: Sequence[Any], index: dict, error) -> None:
    if parent == p.name:
        raise error(p.name, "when", f"parameter {p.name!r}: a parameter cannot be its own parent")
    if parent not in index:
        raise error(
            p.name, "when", f"parameter {p.name!r}: parent {parent!r} is not a parameter of the space"
        )
    q = parameters[index[parent]]
    if not (q.is_categorical or q.type == "int"):
        raise error(p.name, "when", f"parameter {p.name!r}: parent {parent!r} must be categorical or int")
    for value in values:
        try:
            q.validate_value(value)
        except ValueError:
            raise error(
                p.name, "when", f"parameter {p.name!r}: {value!r} is not a value of parent {parent!r}"
            ) from None


def _topological(parameters: Sequence[Any], index: dict, error) -> list[int]:
    """Depth-first order, parents first; a parameter met again while its own parents are open is a cycle."""
    order: list[int] = []
    state: dict[int, str] = {}

    def visit(i: int) -> None:
        if state.get(i) == "done":
            return
        if state.get(i) == "open":
            name = parameters[i].name
            raise error(name, "when", f"parameter {name!r}: its conditions form a cycle")
        state[i] = "open"
        for parent, _ in parameters[i].when:
            visit(index[parent])
        state[i] = "done"
        order.append(i)

    for i in range(len(parameters)):
        visit(i)
    return order


def _check_satisfiable(parameters: Sequence[Any], order: list[int], error) -> None:
    """Gather, per parameter, the values each ancestor must take; an empty set can never hold."""
    needs: dict[str, dict[str, set]] = {}
    for i in order:
        p = parameters[i]
        mine: dict[str, set] = {}
        for parent, values in p.when:
            for ancestor, allowed in [*needs[parent].items(), (parent, {choice_key(v) for v in values})]:
                mine[ancestor] = mine[ancestor] & allowed if ancestor in mine else set(allowed)
                if not mine[ancestor]:
                    raise error(
                        p.name, "when", f"parameter {p.name!r}: its condition on {ancestor!r} can never hold"
                    )
        needs[p.name] = mine


def active_flags(parameters: Sequence[Any], order: list[int], params: Mapping[str, Any]) -> list[bool]:
    """Whether each parameter (in space order) is active for `params`, judged parents first."""
    active = [False] * len(parameters)
    by_name: dict[str, bool] = {}
    for i in order:
        p = parameters[i]
        active[i] = all(
            by_name[parent] and parent in params and _key_in(params[parent], values)
            for parent, values in p.when
        )
        by_name[p.name] = active[i]
    return active


def _key_in(value: Any, values: tuple) -> bool:
    try:
        return choice_key(value) in {choice_key(v) for v in values}
    except TypeError:  # an unhashable value given for a parent
        return False


def descendants(parameters: Sequence[Any]) -> dict[str, list[str]]:
    """Per parameter that some condition names, every parameter below it (children, theirs, ...), in
    space order: what a parent's choice switches on and off."""
    children: dict[str, set[str]] = {}
    for p in parameters:
        for parent, _ in p.when:
            children.setdefault(parent, set()).add(p.name)
    out: dict[str, list[str]] = {}
    for name in children:
        below, frontier = set(), [name]
        while frontier:
            for child in children.get(frontier.pop(), ()):
                if child not in below:
                    below.add(child)
                    frontier.append(child)
        out[name] = [p.name for p in parameters if p.name in below]
    return out
