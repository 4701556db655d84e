"""Parallel workers: what "gp" proposes while other trials still run."""

from __future__ import annotations

import math

import numpy as np

from studies.optimizers import SearchSpace, get_optimizer

BRANIN = SearchSpace.from_dict(
    {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}
)


def branin(p: dict) -> float:
    x, y = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def test_sixteen_concurrent_points_stay_apart_and_away_from_running_ones():
    """Believed outcomes at running points are exact, so the variance vanishes there and each new point
    of a batch goes elsewhere instead of piling onto the incumbent."""
    history = [(p, branin(p)) for p in get_optimizer("random", BRANIN, seed=0).suggest(n=20)]
    opt = get_optimizer("gp", BRANIN, seed=0)
    running = opt.suggest(history=history, n=4)
    batch = opt.suggest(history=history, pending=running, n=12)
    X = BRANIN.encode(batch + running)
    gaps = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1)) + np.eye(len(X))
    assert gaps.min() > 0.01, "no two of 16 concurrent points within 1 % of the box's side"
