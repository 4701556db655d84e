"""NSGA-II (Deb et al., 2002) as a stateless, steady-state optimizer for one or several objectives.

The parents are the best `population` trials of the whole history by constraint-domination rank,
then crowding distance (elitist, as NSGA-II's survivor selection); each child comes from two binary
tournaments, simulated binary crossover and polynomial mutation on the unit-cube encoding, so every
parameter type works (decoding rounds integers and picks choices). The first `population` trials
are a scrambled Sobol sample. Nothing is kept between calls: the same history gives the same points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import pareto
from .base import Optimizer
from .random_search import sobol_points
from .settings import Setting

_ETA_CROSSOVER = 15.0
_ETA_MUTATION = 20.0


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """How isolated each point of one front is (n, k) -> (n,): inf at each objective's extremes."""
    n, k = losses.shape
    distance = np.zeros(n)
    for j in range(k):
        order = np.argsort(losses[:, j], kind="stable")
        span = losses[order[-1], j] - losses[order[0], j]
        distance[order[[0, -1]]] = np.inf
        if n > 2 and span > 0:
            distance[order[1:-1]] += (losses[order[2:], j] - losses[order[:-2], j]) / span
    return distance


def survivors(losses: np.ndarray, violation: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the best `size` points (rank, then crowding) and every point's rank and crowding
    as one sort key (lower is better), for the tournaments."""
    ranks = pareto.pareto_ranks(losses, violation)
    crowding = np.zeros(len(losses))
    for rank in np.unique(ranks):
        members = ranks == rank
        crowding[members] = crowding_distance(np.nan_to_num(losses[members], nan=1e300, posinf=1e300))
    key = np.lexsort((-crowding, ranks))
    order_key = np.empty(len(losses))
    order_key[key] = np.arange(len(losses))
    return key[:size], order_key


def _sbx(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One child of simulated binary crossover, per coordinate with probability 1/2."""
    u = rng.random(a.shape)
    beta = np.where(
        u <= 0.5, (2 * u) ** (1 / (_ETA_CROSSOVER + 1)), (1 / (2 * (1 - u))) ** (1 / (_ETA_CROSSOVER + 1))
    )
    child = 0.5 * ((1 + beta) * a + (1 - beta) * b)
    swap = rng.random(a.shape) < 0.5
    return np.where(swap, child, a)


def _mutate(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Polynomial mutation on [0, 1], each coordinate with probability `rate` and at least one, so
    a child never repeats its parent (a repeat would be replaced by a random point)."""
    u = rng.random(x.shape)
    delta = np.where(
        u < 0.5, (2 * u) ** (1 / (_ETA_MUTATION + 1)) - 1, 1 - (2 * (1 - u)) ** (1 / (_ETA_MUTATION + 1))
    )
    mutated = np.clip(x + delta, 0.0, 1.0)
    chosen = rng.random(x.shape) < rate
    chosen[rng.integers(len(x))] = True
    return np.where(chosen, mutated, x)


class NSGA2(Optimizer):
    name = "nsga2"
    MULTI_OBJECTIVE = True
    SETTINGS = (
        Setting(
            "population",
            "int",
            0,
            "Parents kept (the best trials by Pareto rank and crowding), and the size of the "
            "initial Sobol sample; 0: max(10, 2 * d) for d parameters.",
            min=0,
            max=10_000,
        ),
        Setting(
            "crossover_rate",
            "float",
            0.9,
            "Probability that a child mixes two parents (otherwise a mutated copy of one).",
            min=0.0,
            max=1.0,
        ),
    )

    @property
    def population(self) -> int:
        return self.settings["population"] or max(10, 2 * len(self.space))

    def _suggest(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        d = len(self.space)
        if made < self.population:
            X = sobol_points(d, self.seed, made, n)
            return [(params, {"phase": "startup"}) for params in self.space.decode(X)]
        losses, violation = self.objective_losses(history)
        parents, order_key = survivors(losses, violation, self.population)
        X = self.space.encode([history[i][0] for i in parents]).reshape(len(parents), d)
        rng = np.random.default_rng([self.seed, made])
        children = [self._child(X, order_key[parents], rng) for _ in range(n)]
        info = {"phase": "evolution", "n_parents": len(parents)}
        return [(params, dict(info)) for params in self.space.decode(np.array(children))]

    def _child(self, X: np.ndarray, key: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        def tournament() -> np.ndarray:
            i, j = rng.integers(len(X), size=2)
            return X[i] if key[i] <= key[j] else X[j]

        a = tournament()
        child = _sbx(a, tournament(), rng) if rng.random() < self.settings["crossover_rate"] else a
        return _mutate(child, 1.0 / X.shape[1], rng)
