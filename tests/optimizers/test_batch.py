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


def test_a_batch_on_a_noisy_objective_stays_apart_too():
    """Where the model sees noise it is confident near the incumbent; believed no better than it, the
    running points still push the rest of the batch away (before, 12 points fell within 1e-4)."""
    space = SearchSpace.from_dict({n: {"type": "float", "low": 0.0, "high": 1.0} for n in ("x", "y")})
    rng = np.random.default_rng(0)
    points = [{"x": float(a), "y": float(b)} for a, b in rng.random((30, 2))]
    history = [(p, (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2 + 0.05 * rng.standard_normal()) for p in points]
    opt = get_optimizer("gp", space, seed=0)
    running = opt.suggest(history=history, n=4)
    X = space.encode(opt.suggest(history=history, pending=running, n=12) + running)
    gaps = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1)) + np.eye(len(X))
    assert gaps.min() > 0.01
