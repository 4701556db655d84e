"""Pareto dominance, constraint violation and hypervolume, on plain arrays.

Conventions: `losses` is an (n, k) array of objectives to minimise (a caller flips the sign of a
maximised one first); `violation` an (n,) array, 0 where every constraint holds, more the further a
point is from holding them. A NaN row (a failed trial) dominates nothing and is dominated by every
finite one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def constraint_violation(values: Mapping[str, Any], constraints: Sequence[Mapping[str, Any]]) -> float:
    """How far `values` are from meeting `constraints` (each `{"metric", "max"?, "min"?}`): the sum of
    every bound's excess, 0.0 when all hold, NaN when a constrained metric is missing or not finite."""
    total = 0.0
    for constraint in constraints:
        value = values.get(constraint["metric"])
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            return float("nan")
        if constraint.get("max") is not None:
            total += max(0.0, value - constraint["max"])
        if constraint.get("min") is not None:
            total += max(0.0, constraint["min"] - value)
    return total


def objective_losses(objectives: Sequence[Mapping[str, Any]], results: Sequence[Any]) -> np.ndarray:
    """(n, k) losses of `results` (each a `{metric: value}` mapping, or None for a failed trial) under
    `objectives` (each `{"metric", "direction"}`): maximised ones negated, NaN where missing."""
    signs = [-1.0 if o["direction"] == "maximize" else 1.0 for o in objectives]
    rows = [
        [s * _number(r.get(o["metric"])) for o, s in zip(objectives, signs, strict=True)]
        if isinstance(r, Mapping)
        else [np.nan] * len(objectives)
        for r in results
    ]
    return np.array(rows, dtype=float).reshape(len(results), len(objectives))


def violations(constraints: Sequence[Mapping[str, Any]], results: Sequence[Any]) -> np.ndarray:
    """(n,) constraint violation of each result, NaN for a failed trial."""
    return np.array(
        [constraint_violation(r, constraints) if isinstance(r, Mapping) else np.nan for r in results],
        dtype=float,
    )


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        return np.nan
    return float(value) if np.isfinite(value) else np.nan


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether loss vector `a` is no worse than `b` everywhere and better somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def _domination_matrix(losses: np.ndarray, violation: np.ndarray | None) -> np.ndarray:
    """`out[i, j]`: i constraint-dominates j (Deb's rule: feasible beats infeasible, a smaller
    violation beats a larger one, and among feasible points Pareto dominance decides)."""
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    finite = np.all(np.isfinite(losses), axis=1)
    safe = np.where(np.isfinite(losses), losses, np.inf)
    le = np.all(safe[:, None, :] <= safe[None, :, :], axis=2)
    lt = np.any(safe[:, None, :] < safe[None, :, :], axis=2)
    out = le & lt & finite[:, None]
    out |= finite[:, None] & ~finite[None, :]
    if violation is not None:
        v = np.nan_to_num(np.asarray(violation, dtype=float), nan=np.inf)
        feasible = v <= 0
        both_feasible = feasible[:, None] & feasible[None, :]
        by_violation = (v[:, None] < v[None, :]) & finite[:, None]
        out = np.where(both_feasible, out, by_violation)
    out[np.arange(n), np.arange(n)] = False
    return out


def pareto_ranks(losses: np.ndarray, violation: np.ndarray | None = None) -> np.ndarray:
    """Non-dominated sorting: rank 0 for points no other point (constraint-)dominates, rank 1 for
    those dominated only by rank-0 points, and so on. Shape (n,), ints."""
    dominated_by = _domination_matrix(losses, violation)
    count = dominated_by.sum(axis=0)
    ranks = np.full(len(count), -1, dtype=int)
    rank = 0
    while np.any(ranks < 0):
        front = (count == 0) & (ranks < 0)
        ranks[front] = rank
        count = count - dominated_by[front].sum(axis=0)
        count[front] = -1
        rank += 1
    return ranks


def pareto_mask(losses: np.ndarray, violation: np.ndarray | None = None) -> np.ndarray:
    """The feasible, finite points no other point dominates (duplicates of a front point all count).

    O(n * front size): in lexicographic order no point can dominate one before it, so each point is
    compared with the front found so far only (cheap for the 10,000 trials of a large study).
    """
    losses = np.asarray(losses, dtype=float)
    if len(losses) == 0:
        return np.zeros(0, dtype=bool)
    keep = np.all(np.isfinite(losses), axis=1)
    if violation is not None:
        keep &= np.asarray(violation, dtype=float) <= 0
    idx = np.flatnonzero(keep)
    mask = np.zeros(len(losses), dtype=bool)
    front: list[int] = []
    for i in idx[np.lexsort(losses[idx].T[::-1])]:
        if front:
            best = losses[front]
            if np.any(np.all(best <= losses[i], axis=1) & np.any(best < losses[i], axis=1)):
                continue
        front.append(i)
    mask[front] = True
    return mask


def hypervolume(losses: np.ndarray, reference: Sequence[float]) -> float:
    """The volume dominated by `losses` (n, k) and bounded by `reference` (minimisation); points not
    strictly better than the reference in every objective add nothing."""
    ref = np.asarray(reference, dtype=float)
    points = np.asarray(losses, dtype=float).reshape(-1, len(ref))
    points = points[np.all(np.isfinite(points), axis=1) & np.all(points < ref, axis=1)]
    if len(points) == 0:
        return 0.0
    points = np.unique(points[pareto_mask(points)], axis=0)
    return float(_hv(points, ref))


def _hv(points: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume by slicing along the last objective (non-dominated points, all below ref)."""
    if points.shape[1] == 1:
        return float(ref[0] - points[:, 0].min())
    if points.shape[1] == 2:
        order = np.argsort(points[:, 0], kind="stable")
        xs, ys = points[order, 0], np.minimum.accumulate(points[order, 1])
        widths = np.diff(np.append(xs, ref[0]))
        return float(np.sum(widths * (ref[1] - ys)))
    order = np.argsort(points[:, -1], kind="stable")
    points = points[order]
    cuts = np.append(points[:, -1], ref[-1])
    total = 0.0
    for i in range(len(points)):
        depth = cuts[i + 1] - cuts[i]
        if depth > 0:
            below = points[: i + 1, :-1]
            total += depth * _hv(below[pareto_mask(below)], ref[:-1])
    return total


def hypervolume_contributions(losses: np.ndarray, reference: Sequence[float]) -> np.ndarray:
    """(n,) the hypervolume each point alone adds to the others' (0 for a dominated point or a
    duplicate: the other copy still covers it).

    Point i's box minus the hypervolume of the others limited to it (each `max(p, p_i)`): after
    dominance filtering that set is small, so this is far cheaper than n hypervolumes of n - 1
    points (the "limit" step of the WFG algorithm, While et al. 2012).
    """
    ref = np.asarray(reference, dtype=float)
    points = np.asarray(losses, dtype=float).reshape(-1, len(ref))
    out = np.zeros(len(points))
    for i, point in enumerate(points):
        box = float(np.prod(np.maximum(ref - point, 0.0)))
        if box > 0:
            limited = np.maximum(np.delete(points, i, axis=0), point)
            out[i] = box - hypervolume(limited, ref)
    return np.maximum(out, 0.0)
