"""Non-dominated sorting and the hypervolume over trials, fast enough for a page at 10,000 trials.

`studies.optimizers.pareto` holds the definitions (dominance, `pareto_ranks` by a full n x n
domination matrix, the exact `hypervolume`); these are the dashboard's sweeps over the same
definitions for the one to three objectives a study may have (`objectives.MAX_OBJECTIVES`): each
point is compared with staircases held in sorted lists, O(n log n), instead of with every other point.
Losses are minimised; rows must be finite (a caller leaves failed and infeasible trials out).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

HV_EVALUATIONS = 60  # three objectives: at least n / this many trials between exact hypervolumes
HV_WORK = 10_000  # three objectives: front size x evaluations stays about this
REFERENCE_MARGIN = 0.1  # the reference point lies this share of each objective's range past its worst


def front_ranks(losses: np.ndarray) -> np.ndarray:
    """(n,) non-dominated sorting ranks (0: no point dominates it), as `pareto_ranks` without
    violations; duplicates share a rank. For 1 to 3 objectives."""
    losses = np.asarray(losses, dtype=float)
    if len(losses) == 0:
        return np.zeros(0, dtype=int)
    # distinct rows in lexicographic order: no row can dominate one before it
    unique, inverse = np.unique(losses.reshape(len(losses), -1), axis=0, return_inverse=True)
    k = unique.shape[1]
    if k == 1:
        ranks = np.arange(len(unique))
    elif k == 2:
        ranks = _ranks_2(unique)
    elif k == 3:
        ranks = _ranks_3(unique)
    else:
        raise ValueError(f"front_ranks sorts 1 to 3 objectives, got {k}")
    return ranks[inverse.reshape(-1)]


def _ranks_2(points: np.ndarray) -> np.ndarray:
    """Each distinct point, in lexicographic order, is dominated by front r exactly when r's smallest
    second objective so far is at most its own; those minima rise with r, so a bisection finds it."""
    lowest: list[float] = []
    out = np.empty(len(points), dtype=int)
    for i, y in enumerate(points[:, 1].tolist()):
        rank = bisect_right(lowest, y)
        if rank == len(lowest):
            lowest.append(y)
        else:
            lowest[rank] = y
        out[i] = rank
    return out


def _ranks_3(points: np.ndarray) -> np.ndarray:
    """As `_ranks_2`, with each front's (y, z) staircase in place of a minimum: a point is dominated by
    a front when a staircase step lies at or below it; dominated by front r implies by front r - 1,
    so the fronts are bisected."""
    fronts: list[tuple[list[float], list[float]]] = []
    out = np.empty(len(points), dtype=int)
    for i, (y, z) in enumerate(points[:, 1:].tolist()):
        low, high = 0, len(fronts)
        while low < high:
            middle = (low + high) // 2
            if _step_below(fronts[middle], y, z):
                low = middle + 1
            else:
                high = middle
        if low == len(fronts):
            fronts.append(([y], [z]))
        else:
            _add_step(fronts[low], y, z)
        out[i] = low
    return out


def _step_below(stairs: tuple[list[float], list[float]], y: float, z: float) -> bool:
    """Whether some step (ys ascending, zs descending) is at or below (y, z) in both."""
    ys, zs = stairs
    i = bisect_right(ys, y) - 1
    return i >= 0 and zs[i] <= z


def _add_step(stairs: tuple[list[float], list[float]], y: float, z: float) -> None:
    """Insert a step no step is below, dropping the steps it is below (a contiguous run)."""
    ys, zs = stairs
    start = end = bisect_left(ys, y)
    while end < len(ys) and zs[end] >= z:
        end += 1
    ys[start:end], zs[start:end] = [y], [z]


def reference_point(losses: np.ndarray) -> np.ndarray | None:
    """Past the worst of each objective by REFERENCE_MARGIN of its range (1.0 when flat): every
    point then adds volume. None without points."""
    losses = np.asarray(losses, dtype=float)
    if len(losses) == 0:
        return None
    worst, best = losses.max(axis=0), losses.min(axis=0)
    span = worst - best
    return worst + REFERENCE_MARGIN * np.where(span > 0, span, 1.0)


def hypervolume_curve(losses: np.ndarray, reference: np.ndarray) -> tuple[list[int], list[float]]:
    """(indices, hypervolumes): the hypervolume of the first i + 1 points at each index i where it
    grew (two objectives: every such index; three: a bounded number of them), each exact."""
    losses = np.asarray(losses, dtype=float).reshape(len(losses), len(reference))
    inside = np.all(losses < reference, axis=1)
    if losses.shape[1] == 3:
        return _curve_3(losses, inside, reference)
    if losses.shape[1] == 1:
        losses, reference = np.hstack([losses, np.zeros((len(losses), 1))]), [reference[0], 1.0]
    stairs = _Staircase(*reference)
    indices, volumes = [], []
    where = np.flatnonzero(inside)
    for i, x, y in zip(where.tolist(), losses[where, 0].tolist(), losses[where, 1].tolist(), strict=True):
        if stairs.add(x, y):
            indices.append(i)
            volumes.append(stairs.area)
    return indices, volumes


def _curve_3(losses: np.ndarray, inside: np.ndarray, reference: np.ndarray) -> tuple[list[int], list[float]]:
    """Three objectives: the front is merged with the next run of points and its hypervolume
    computed at the run's end; runs lengthen as the front grows, so the work stays within about
    HV_WORK point-steps (plus the runs' sorting) however many trials there are."""
    n = len(losses)
    shortest = max(1, -(-n // HV_EVALUATIONS))
    front = np.zeros((0, 3))
    indices: list[int] = []
    volumes: list[float] = []
    start = 0
    while start < n:
        end = min(n, start + max(shortest, -(-len(front) * n // HV_WORK)))
        block = losses[start:end][inside[start:end]]
        if len(block):
            merged = _non_dominated_3(np.unique(np.vstack([front, block]), axis=0))
            if len(merged) != len(front) or not np.array_equal(merged, front):
                front = merged
                indices.append(end - 1)
                volumes.append(hypervolume_3(front, reference))
        start = end
    return indices, volumes


def _non_dominated_3(points: np.ndarray) -> np.ndarray:
    """The rows of distinct, lexicographically sorted `points` that no other row dominates."""
    stairs: tuple[list[float], list[float]] = ([], [])
    keep = np.zeros(len(points), dtype=bool)
    for i, (y, z) in enumerate(points[:, 1:].tolist()):
        if not _step_below(stairs, y, z):
            _add_step(stairs, y, z)
            keep[i] = True
    return points[keep]


def hypervolume_3(front: np.ndarray, reference: np.ndarray) -> float:
    """The exact hypervolume of points inside the reference box (three objectives), by a sweep
    along the third with the first two's dominated area kept in a staircase: O(m log m)."""
    stairs = _Staircase(reference[0], reference[1])
    points = front[np.argsort(front[:, 2], kind="stable")].tolist()
    levels = [z for _, _, z in points[1:]] + [float(reference[2])]
    total = 0.0
    for (x, y, z), above in zip(points, levels, strict=True):
        stairs.add(x, y)
        total += stairs.area * (above - z)
    return total


class _Staircase:
    """The area that 2-D points dominate below a reference point, kept up to date as points come:
    the non-dominated points as steps (xs ascending, ys descending)."""

    def __init__(self, ref_x: float, ref_y: float) -> None:
        self.ref_x, self.ref_y = float(ref_x), float(ref_y)
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.area = 0.0

    def add(self, x: float, y: float) -> bool:
        """Add a point inside the reference box; False (nothing changes) when a step is at or below it."""
        xs, ys = self.xs, self.ys
        before = bisect_right(xs, x)
        if before and ys[before - 1] <= y:
            return False
        start = end = bisect_left(xs, x)
        while end < len(xs) and ys[end] >= y:
            end += 1
        # the newly covered area: from x to the first lower step, above y, under the old envelope
        lefts = [x, *xs[start:end]]
        rights = [*xs[start:end], xs[end] if end < len(xs) else self.ref_x]
        heights = [ys[start - 1] if start else self.ref_y, *ys[start:end]]
        self.area += sum((r - left) * (h - y) for left, r, h in zip(lefts, rights, heights, strict=True))
        xs[start:end], ys[start:end] = [x], [y]
        return True
