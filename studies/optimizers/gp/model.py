"""From a search space and a history to a fitted GP in the user's units: shared by "gp" and posterior.py.

What caps the cost as trials accumulate: hyperparameters are fitted on at most `FIT_POINTS`
observations (the best third plus a seeded random rest), by descents from four starts up to
`FULL_FIT_POINTS` observations and beyond from the one of three with the highest posterior density
(on more data the first two led to the same optimum; the third, noisy one wins on a noisy
objective), and the posterior conditions on at most `POSTERIOR_POINTS` (again the best plus a random
rest), so a suggestion costs O(FIT_POINTS^3) for the fit and O(POSTERIOR_POINTS^2) per candidate
beyond that: past 1,000 trials the cost stops growing except for encoding the history (O(n)). What
caps the quality then is the subsample: 1,000 points, a third of them the best, is plenty for a GP to
locate an optimum, but a study of many thousands of trials in a high-dimensional space would be
better served by TPE.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from ..base import clean_value
from ..space import SearchSpace
from .regressor import GaussianProcess, fit_hyperparameters
from .warping import OutputWarp

FULL_FIT_POINTS = 64
FIT_POINTS = 150
POSTERIOR_POINTS = 1000
# a fitted noise variance (standardized units) above this makes the model, not the lowest
# observation, say which trial is best
NOISY = 1e-3


@functools.cache
def _blas_controller() -> ThreadpoolController:
    # finding the loaded BLAS libraries scans the process's shared objects (about 1 ms): done once, as
    # numpy and scipy, imported above, have loaded theirs by the time this is first called
    return ThreadpoolController()


def single_threaded_blas() -> AbstractContextManager[Any]:
    """Our matrices are small (n <= a few thousand): threaded BLAS only adds overhead and, on a busy
    machine, spin-waits that were measured to make a suggestion 5-20x slower."""
    return _blas_controller().limit(limits=1, user_api="blas")


def _subsample(losses: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most k points: the best k/3 by loss, then a random draw of the rest."""
    n = len(losses)
    if n <= k:
        return np.arange(n)
    order = np.argsort(np.where(np.isfinite(losses), losses, np.inf), kind="stable")
    best = order[: k // 3]
    rest = rng.choice(order[k // 3 :], size=k - len(best), replace=False)
    return np.sort(np.concatenate([best, rest]))


class SurrogateModel:
    """A GP on the unit-cube encoding of `space`, fitted to losses (lower is better).

    `gp` works in warped, standardized units; `to_loss` maps its values back to losses.
    """

    def __init__(
        self,
        space: SearchSpace,
        X_all: np.ndarray,
        losses: np.ndarray,
        rng: np.random.Generator,
        learn_warp: bool = True,
    ) -> None:
        """X_all (n, d): the history's points encoded to the unit cube; losses (n,).

        learn_warp: fit the output warp's strength with the kernel (warping.py), or keep log1p.
        """
        self.space = space
        self.cat_mask = np.array([p.is_categorical for p in space.parameters])
        warp = OutputWarp(losses)
        self.X_obs, self.losses = X_all, losses
        fit_idx = _subsample(losses, FIT_POINTS, rng)
        targets = warp.targets_by_strength(fit_idx) if learn_warp else warp.forward(losses[fit_idx])
        if len(fit_idx) <= FULL_FIT_POINTS:
            hyper = fit_hyperparameters(X_all[fit_idx], targets, self.cat_mask, rng)
        else:
            hyper = fit_hyperparameters(
                X_all[fit_idx], targets, self.cat_mask, rng, n_starts=2, n_descents=1, maxiter=100
            )
        self.warp = warp.with_strength(hyper.warp_strength)
        y_all = self.warp.forward(losses)
        post_idx = _subsample(losses, POSTERIOR_POINTS, rng)
        self.gp = GaussianProcess(X_all[post_idx], y_all[post_idx], self.cat_mask, hyper)

    def incumbent_target(self) -> float:
        """Best (lowest) target to improve on: the best posterior mean at observed points when the
        noise is large, the best observation otherwise."""
        if self.gp.noise > NOISY:
            mean, _ = self.gp.predict(self.gp.X)
            return float(np.min(mean))
        finite = np.isfinite(self.losses)
        return float(np.min(self.warp.forward(self.losses[finite])))

    def to_loss(self, mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior median and a standard deviation (half the central 68% interval) in loss units."""
        centre = self.warp.inverse(mean)
        with np.errstate(invalid="ignore", over="ignore"):
            spread = np.abs(0.5 * (self.warp.inverse(mean + std) - self.warp.inverse(mean - std)))
        return centre, np.where(np.isnan(spread), np.inf, spread)


def build_surrogate(
    space: SearchSpace,
    history: Sequence[tuple[Mapping[str, Any], Any]],
    direction: str,
    rng: np.random.Generator,
    X: np.ndarray | None = None,
) -> SurrogateModel | None:
    """A surrogate fitted to the history, or None when no trial has a finite value.

    X: the history's points already encoded (`space.encode`), when the caller has them.
    """
    sign = -1.0 if direction == "maximize" else 1.0
    losses = np.array([sign * clean_value(v) for _, v in history], dtype=float)
    if not np.isfinite(losses).any():
        return None
    if X is None:
        X = space.encode([p for p, _ in history])
    return SurrogateModel(space, X, losses, rng)
