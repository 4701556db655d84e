"""The probability that a point keeps every constraint, from one GP per constraint bound.

Gardner et al. (2014), Gelbart et al. (2014): the acquisition becomes log EI + sum of log P(c <= b),
the EI of the best *feasible* trial, or only the feasibility term while no trial is feasible. Each
bound is modelled as a loss (`value` for a `max`, `-value` for a `min`), warped like any loss;
the warp is monotone, so the bound goes through the same warp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import log_ndtr

from ..pareto import objective_losses, violations
from ..space import SearchSpace
from .model import SurrogateModel


class FeasibilityModel:
    """log P(every bound holds) at unit-cube points, with its gradient for the acquisition optimizer."""

    def __init__(
        self,
        space: SearchSpace,
        X: np.ndarray,
        results: Sequence[Any],
        constraints: Sequence[Mapping[str, Any]],
        rng: np.random.Generator,
    ) -> None:
        self.feasible = violations(constraints, results) <= 0  # (n,) of the history, False if failed
        self.terms: list[tuple[SurrogateModel, float]] = []
        for constraint in constraints:
            for side, sign in (("max", 1.0), ("min", -1.0)):
                if constraint.get(side) is None:
                    continue
                direction = "minimize" if sign > 0 else "maximize"
                losses = objective_losses(
                    [{"metric": constraint["metric"], "direction": direction}], results
                )[:, 0]
                if not np.isfinite(losses).any():
                    continue
                model = SurrogateModel(space, X, losses, rng)
                bound = float(model.warp.forward(np.array([sign * constraint[side]]))[0])
                self.terms.append((model, bound))

    def log_probability(self, X: np.ndarray) -> np.ndarray:
        total = np.zeros(len(X))
        for model, bound in self.terms:
            mean, var = model.gp.predict(X)
            total += log_ndtr((bound - mean) / np.sqrt(var))
        return total

    def log_probability_with_grad(self, X: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total, grad = np.zeros(len(X)), np.zeros((len(X), len(dims)))
        for model, bound in self.terms:
            mean, var, dmean, dvar = model.gp.predict_with_grad(X, dims)
            std = np.sqrt(var)
            z = (bound - mean) / std
            log_cdf = log_ndtr(z)
            ratio = np.exp(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - log_cdf)  # pdf(z) / cdf(z)
            dz = -dmean / std[:, None] - (z / std)[:, None] * dvar / (2 * std)[:, None]
            total += log_cdf
            grad += ratio[:, None] * dz
        return total, grad
