"""Maximizing an acquisition over the mixed space, returning a point of the space (snapped).

1. Score scrambled Sobol candidates plus Gaussian perturbations of the best observed points.
2. From the best few, L-BFGS-B (one batched call, analytic gradients) over the continuous dimensions
   and over integers with many levels (relaxed, then rounded). From `PRECONDITION_MIN_DIMS`
   parameters, in coordinates divided by the GP's lengthscales, as Optuna's GPSampler does: with ARD
   lengthscales from 0.1 to 40 across 50 dimensions the unit-cube problem is badly conditioned, and
   the batched descent ran into its 100 iterations (about 107 evaluations) where the scaled one
   stops after 10 to 16, at the same acquisition values (docs/benchmarks.md, GP speed). Smaller
   spaces, every public problem among them, keep the unit-cube descent and their points.
3. Sweep each discrete dimension: every level when it has at most `EXHAUSTIVE_LEVELS` (every choice of
   a categorical), the nearest levels otherwise; then polish the continuous dimensions once more.
The answer is the best point seen that is not excluded (history, pending, earlier batch members).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import optimize
from scipy.stats import qmc

from ..space import SearchSpace, unit_keys

EXHAUSTIVE_LEVELS = 16
N_SOBOL = 1024
N_PERTURB_CENTRES = 5
N_PERTURB_EACH = 64
N_LOCAL_STARTS = 8
# A later member of a batch: the believer's acquisition differs from the earlier member's only near the
# point just added, so the earlier search's polished points are its best starts; a quarter of the
# random candidates and two starts cut a member's cost (docs/benchmarks.md, "GP batch cost").
LATER_CANDIDATE_SHARE = 4
N_LATER_STARTS = 2
PRECONDITION_MIN_DIMS = 11  # parameters

# values (m,), d value / dx (m, len(dims)) for points X (m, d) and gradient dims
AcqWithGrad = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
AcqValue = Callable[[np.ndarray], np.ndarray]


class Found(NamedTuple):
    """A search's answer: the best admissible point (d,) and its acquisition value (None and -inf
    when every point it saw is excluded), and the points it polished, a later member's best starts."""

    point: np.ndarray | None
    value: float
    polished: np.ndarray


class AcquisitionMaximizer:
    def __init__(
        self,
        space: SearchSpace,
        value: AcqValue,
        value_and_grad: AcqWithGrad,
        n_observations: int,
        lengthscales: np.ndarray | None = None,
    ) -> None:
        """lengthscales (d,): the GP's, to precondition the local descent in large spaces."""
        self.space = space
        self.lengthscales = lengthscales if len(space) >= PRECONDITION_MIN_DIMS else None
        self.n_observations = n_observations
        self.value = value
        self.value_and_grad = value_and_grad
        params = space.parameters
        self.relaxed = np.array(
            [p.n_levels == 0 or (not p.is_categorical and p.n_levels > EXHAUSTIVE_LEVELS) for p in params]
        )
        self.discrete = np.array([p.n_levels > 0 for p in params])

    def candidates(self, centres: np.ndarray, rng: np.random.Generator, share: int = 1) -> np.ndarray:
        """Sobol points and perturbations of the centres (the best observed points), 1 / share of them."""
        d = len(self.space)
        # screening costs O(n^2) per candidate: halve it past the 64 observations that get a full fit
        n_sobol = (N_SOBOL if self.n_observations <= 64 else N_SOBOL // 2) // share
        n_each = N_PERTURB_EACH // share
        sobol = qmc.Sobol(d, scramble=True, rng=rng).random_base2(int(np.log2(n_sobol)))
        parts = [sobol]
        for centre in centres[:N_PERTURB_CENTRES]:
            sd = np.where(rng.random((n_each, 1)) < 0.5, 0.02, 0.1)
            noise = rng.normal(0.0, 1.0, (n_each, d)) * sd
            # noise on every column: discrete and categorical values change where it crosses a cell edge
            parts.append(centre + noise)
        return self.space.snap_unit(np.vstack(parts))

    def maximize(
        self,
        centres: np.ndarray,
        excluded: set[tuple[float, ...]],
        rng: np.random.Generator,
        previous: np.ndarray | None = None,
    ) -> Found:
        """`previous`: the `polished` points of the search for the batch's earlier member, which makes
        this search a later member's (see LATER_CANDIDATE_SHARE)."""
        if previous is None:
            X, n_starts = self.candidates(centres, rng), N_LOCAL_STARTS
        else:
            X = np.vstack([previous, self.candidates(centres, rng, LATER_CANDIDATE_SHARE)])
            n_starts = N_LATER_STARTS
        values = self.value(X)
        pool_X, pool_v = [X], [values]
        starts = self._distinct_best(X, values, n_starts)
        polished = self._local_search(starts) if starts.size else starts
        if starts.size:
            pool_X.append(polished)
            pool_v.append(self.value(polished))
        X, values = np.vstack(pool_X), np.concatenate(pool_v)
        for i in np.argsort(-values, kind="stable"):
            if unit_keys(X[i : i + 1])[0] not in excluded:
                return Found(X[i], float(values[i]), polished)
        return Found(None, -np.inf, polished)

    def _distinct_best(self, X: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
        keys = np.round(X, 9)
        chosen: list[int] = []
        seen: set[bytes] = set()
        for i in np.argsort(-values, kind="stable"):
            key = keys[i].tobytes()
            if key not in seen:
                seen.add(key)
                chosen.append(i)
                if len(chosen) == k:
                    break
        return X[chosen]

    def _local_search(self, X: np.ndarray) -> np.ndarray:
        X = self._continuous(X)
        if self.discrete.any():
            X = self._sweep_discrete(self.space.snap_unit(X))
            X = self._continuous(X, relaxed_only_continuous=True)
        return self.space.snap_unit(X)

    def _continuous(self, X: np.ndarray, relaxed_only_continuous: bool = False) -> np.ndarray:
        """Batched L-BFGS-B on the free dimensions of every row at once (the rows do not interact),
        over x / lengthscale when preconditioned."""
        free = self.relaxed & ~self.discrete if relaxed_only_continuous else self.relaxed
        dims = np.flatnonzero(free)
        if dims.size == 0:
            return X
        X = X.copy()
        m = len(X)
        step = np.ones(dims.size) if self.lengthscales is None else self.lengthscales[dims]
        step = np.tile(step, m)

        def negative(z: np.ndarray) -> tuple[float, np.ndarray]:
            X[:, dims] = (z * step).reshape(m, dims.size)
            v, g = self.value_and_grad(X, dims)
            return -float(v.sum()), -g.ravel() * step

        z0 = X[:, dims].ravel() / step
        bounds = list(zip(np.zeros_like(step), 1.0 / step, strict=True))
        res = optimize.minimize(
            negative, z0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 100}
        )
        X[:, dims] = np.clip(res.x * step, 0.0, 1.0).reshape(m, dims.size)
        return X

    def _sweep_discrete(self, X: np.ndarray) -> np.ndarray:
        """Coordinate search over discrete dimensions, one dimension at a time, for every row."""
        for j in np.flatnonzero(self.discrete):
            p = self.space.parameters[j]
            if p.is_categorical or p.n_levels <= EXHAUSTIVE_LEVELS:
                options = np.tile(p.level_units(np.arange(p.n_levels))[None, :], (len(X), 1))
            else:
                current = p.unit_levels(X[:, j])[:, None]
                options = p.level_units(current + np.array([-3, -2, -1, 0, 1, 2, 3])[None, :])
            trial = np.repeat(X, options.shape[1], axis=0)
            trial[:, j] = options.ravel()
            v = self.value(trial).reshape(len(X), options.shape[1])
            X = X.copy()
            X[:, j] = options[np.arange(len(X)), np.argmax(v, axis=1)]
        return X
