"""Several objectives for "gp": one GP per objective and their expected hypervolume improvement.

Each objective gets its own surrogate (warped and standardized like any loss; the warps are monotone,
so dominance, and so the front, is the same in their units). The front is that of the feasible
trials, and the reference point the worst feasible target in each objective plus a tenth of their
range, as Optuna's GPSampler puts it beyond the worst trial when the user gives none. So the warp's
shape sets how much the front's ends are worth, and these GPs keep the log1p warp rather than learn
its strength as a single objective's does: a learned, nearly linear warp of ZDT1's f1 = x1 left the
front's end at x1 = 1 unsampled on 5 of 20 seeds (docs/benchmarks.md, issue 17). (The front's
nadir, as BoTorch infers one, was tried on one seed: it values the front's ends so little that
ZDT1's regret went from 0.02 to 3.1, while DTLZ2's improved from 0.44 to 0.34.) Running trials and
earlier members of a batch are kriging believers in every objective's GP, so their neighbourhood
promises no improvement and a batch spreads out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..pareto import objective_losses, pareto_mask, violations
from ..space import SearchSpace
from .ehvi import BoxDecomposition
from .model import SurrogateModel
from .regressor import GaussianProcess

_REFERENCE_MARGIN = 0.1
_MIN_SPAN = 1.0  # standardized units: the margin while every feasible trial has one value


class HypervolumeModel:
    """The objectives' GPs, the feasible front in their units and its box decomposition."""

    def __init__(
        self,
        space: SearchSpace,
        X: np.ndarray,
        results: Sequence[Any],
        objectives: Sequence[Mapping[str, Any]],
        constraints: Sequence[Mapping[str, Any]],
        rng: np.random.Generator,
    ) -> None:
        self.objectives = list(objectives)
        losses = objective_losses(objectives, results)
        self.X_obs, self.losses = X, losses
        self.models = [
            SurrogateModel(space, X, losses[:, j], rng, learn_warp=False) for j in range(losses.shape[1])
        ]
        targets = np.column_stack([m.warp.forward(losses[:, j]) for j, m in enumerate(self.models)])
        feasible = np.all(np.isfinite(losses), axis=1) & (violations(constraints, results) <= 0)
        self.front = targets[feasible][pareto_mask(targets[feasible])]
        self.boxes = None
        if feasible.any():
            worst, best = targets[feasible].max(axis=0), targets[feasible].min(axis=0)
            reference = worst + _REFERENCE_MARGIN * np.maximum(worst - best, _MIN_SPAN)
            self.boxes = BoxDecomposition(self.front, reference)

    @classmethod
    def build(cls, space, X, results, objectives, constraints, rng) -> HypervolumeModel | None:
        """The model, or None while no trial has every objective."""
        losses = objective_losses(objectives, results)
        if not np.all(np.isfinite(losses), axis=1).any():
            return None
        return cls(space, X, results, objectives, constraints, rng)

    def believing(self, X_believed: np.ndarray) -> list[GaussianProcess]:
        """Each objective's GP also conditioned on `X_believed` at its mean (never below its best)."""
        return [m.gp.with_pseudo_observations(X_believed, floor=m.incumbent_target()) for m in self.models]

    def acquisition(self, gps: list[GaussianProcess]):
        """(value, value_and_grad) closures of log EHVI for `AcquisitionMaximizer` (None: no front)."""
        boxes = self.boxes

        def value(X: np.ndarray) -> np.ndarray:
            means, stds = zip(*(gp.predict(X) for gp in gps), strict=True)
            return boxes.log_ehvi(np.column_stack(means), np.sqrt(np.column_stack(stds)))

        def value_and_grad(X: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            parts = [gp.predict_with_grad(X, dims) for gp in gps]
            stds = np.sqrt(np.column_stack([var for _, var, _, _ in parts]))
            means = np.column_stack([mean for mean, *_ in parts])
            log_ehvi, d_mean, d_std = boxes.log_ehvi_with_grad(means, stds)
            grad = sum(
                d_mean[:, j, None] * dmean + (d_std[:, j] / (2.0 * stds[:, j]))[:, None] * dvar
                for j, (_, _, dmean, dvar) in enumerate(parts)
            )
            return log_ehvi, grad

        return value, value_and_grad

    def centres(self, feasible: np.ndarray) -> np.ndarray:
        """Observed points to perturb for candidates: the feasible front first, then the rest."""
        targets = np.nan_to_num(self.losses, nan=np.inf)
        on_front = pareto_mask(self.losses, np.where(feasible, 0.0, 1.0))
        order = np.lexsort((targets.sum(axis=1), ~on_front))
        return self.X_obs[order]

    def info(self, gps: list[GaussianProcess], x: np.ndarray) -> dict[str, Any]:
        """What the suggestion valued: each objective's predicted value and spread, in its units."""
        predicted, spread = {}, {}
        for objective, model, gp in zip(self.objectives, self.models, gps, strict=True):
            mean, var = gp.predict(x[None, :])
            loss, std = model.to_loss(mean, np.sqrt(var))
            sign = -1.0 if objective["direction"] == "maximize" else 1.0
            predicted[objective["metric"]] = _json_float(sign * loss[0])
            spread[objective["metric"]] = _json_float(std[0])
        return {"predicted": predicted, "predicted_std": spread, "n_front": len(self.front)}


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
