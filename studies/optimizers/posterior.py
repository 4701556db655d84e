"""The GP surrogate for the dashboard: posterior, acquisition, 1-D slices and Sobol importance.

Values are in the user's objective units and direction: `predict` gives the posterior median of the
objective (the GP is fitted to warped values, so the mean of the warped posterior maps to the median)
and a standard deviation taken as half its central 68 % interval; `lower`/`upper` of a slice are the
2.3 % and 97.7 % quantiles, the warped mean -/+ 2 sigma mapped back. Everything returned by the
module-level functions is plain lists and floats, ready for JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from .base import History
from .conditions import descendants
from .gp.acquisition import ACQUISITIONS
from .gp.acquisition import acquisition as acquisition_value
from .gp.model import SurrogateModel, build_surrogate, single_threaded_blas
from .registry import get_optimizer
from .space import Parameter, SearchSpace

_SOBOL_BASE_POINTS = 1024
_CHUNK = 4096


class FittedSurrogate:
    """A GP fitted to a study's history, queried in the user's units."""

    def __init__(self, model: SurrogateModel, direction: str, history: History) -> None:
        self.model = model
        self.sign = -1.0 if direction == "maximize" else 1.0
        finite = np.flatnonzero(np.isfinite(model.losses))
        best = finite[np.argmin(model.losses[finite])]
        self.incumbent: dict[str, Any] = {"params": dict(history[best][0]), "value": float(history[best][1])}
        self.n_observations: int = len(model.losses)

    def _latent(self, params_list: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        mean, var = self.model.gp.predict(self.model.space.encode(params_list))
        return mean, np.sqrt(var)

    def predict(self, params_list: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Posterior median and standard deviation of the objective at each point, shape (m,) each."""
        with single_threaded_blas():
            centre, spread = self.model.to_loss(*self._latent(params_list))
        return self.sign * centre, spread

    def interval(
        self, params_list: Sequence[Mapping[str, Any]], width: float = 2.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) quantiles of the objective: the warped mean -/+ width sigma mapped back."""
        with single_threaded_blas():
            mean, std = self._latent(params_list)
        a, b = self.model.warp.inverse(mean - width * std), self.model.warp.inverse(mean + width * std)
        a, b = self.sign * a, self.sign * b
        return np.minimum(a, b), np.maximum(a, b)

    def acquisition(
        self,
        params_list: Sequence[Mapping[str, Any]],
        kind: str = "ei",
        xi: float | None = None,
        kappa: float = 2.0,
    ) -> np.ndarray:
        """Acquisition values (larger is better) as the "gp" optimizer scores points: log EI, log PI or UCB,
        in the model's standardized units; xi None is the acquisition's default margin, as in "gp"."""
        xi = ACQUISITIONS[kind].default_xi if xi is None else xi
        with single_threaded_blas():
            mean, std = self._latent(params_list)
            return acquisition_value(kind, mean, std, self.model.incumbent_target(), xi, kappa)[0]

    def mean_unit(self, X: np.ndarray) -> np.ndarray:
        """Posterior mean in the model's standardized units at unit-cube rows, in chunks to bound memory."""
        return np.concatenate(
            [self.model.gp.predict_mean(X[i : i + _CHUNK]) for i in range(0, len(X), _CHUNK)]
        )


def fit_surrogate(space: SearchSpace, history: History, direction: str, seed: int = 0) -> FittedSurrogate:
    """Fit the GP that "gp" would use; ValueError when no trial of the history has a finite value."""
    with single_threaded_blas():
        model = build_surrogate(space, history, direction, np.random.default_rng(seed))
    if model is None:
        raise ValueError("no finished trial with a finite value to fit a surrogate to")
    return FittedSurrogate(model, direction, history)


def posterior(
    space: SearchSpace, history: History, points: Sequence[Mapping[str, Any]], direction: str, seed: int = 0
) -> dict[str, list[float]]:
    """{"mean": [...], "std": [...]} of the objective at `points`."""
    mean, std = fit_surrogate(space, history, direction, seed).predict(points)
    return {"mean": mean.tolist(), "std": std.tolist()}


def _slice_values(p: Parameter, n_grid: int) -> list[Any]:
    """Values along one parameter: every choice or level when few, else an even grid (log where log)."""
    if p.n_levels and (p.is_categorical or p.n_levels <= n_grid):
        return [p.from_unit(u) for u in p.level_units(np.arange(p.n_levels))]
    grid = np.linspace(p.low, p.high, n_grid) if not p.log else np.geomspace(p.low, p.high, n_grid)
    return list(dict.fromkeys(p.snap(float(v)) for v in grid))


def posterior_slices(
    space: SearchSpace,
    history: History,
    direction: str,
    acquisition: str = "ei",
    n_grid: int = 100,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """For each parameter, a 1-D slice through the incumbent (the best trial so far; in a conditional
    space the best trial that holds the parameter, and only the trials that hold it as observations).

    name -> {"x", "mean", "lower", "upper", "acquisition": lists over the slice,
             "observations": {"x", "value"} (every finished trial projected on the parameter),
             "suggestion": the parameter's value in the next "gp" suggestion}.
    """
    surrogate = fit_surrogate(space, history, direction, seed)
    suggestion = get_optimizer("gp", space, direction=direction, seed=seed, acquisition=acquisition).suggest(
        history=history
    )[0]
    finished = [(p, float(v)) for p, v in history if v is not None and np.isfinite(v)]
    out = {}
    for p in space.parameters:
        xs = _slice_values(p, n_grid)
        held = [(q, v) for q, v in finished if p.name in q]
        base = min(held, key=lambda qv: qv[1] * (-1 if direction == "maximize" else 1))[0] if held else None
        points = [{**(base or surrogate.incumbent["params"]), p.name: x} for x in xs]
        mean, _ = surrogate.predict(points)
        lower, upper = surrogate.interval(points)
        out[p.name] = {
            "x": xs,
            "mean": mean.tolist(),
            "lower": lower.tolist(),
            "upper": upper.tolist(),
            "acquisition": surrogate.acquisition(points, kind=acquisition).tolist(),
            "observations": {"x": [q[p.name] for q, _ in held], "value": [v for _, v in held]},
            "suggestion": suggestion.get(p.name),
        }
    return out


def gp_sobol_importance(
    space: SearchSpace, history: History, direction: str, seed: int = 0
) -> tuple[dict[str, float], dict[str, float]]:
    """First-order Sobol indices of the posterior mean (Saltelli 2010 estimator, scrambled Sobol points),
    and per parent of a conditional space the index of it and its descendants varied together.

    The mean is taken in the model's standardized (warped) units, so a few huge losses do not decide
    which parameter matters. Every column is drawn over its whole range and a point is canonicalized
    (inactive columns imputed) only when the mean is read, so a child swapped in counts only where its
    branch is chosen, and a parent swapped in brings its children's drawn values along.
    """
    surrogate = fit_surrogate(space, history, direction, seed)
    d = len(space)
    rng = np.random.default_rng(seed)
    base = qmc.Sobol(2 * d, scramble=True, rng=rng).random_base2(int(np.log2(_SOBOL_BASE_POINTS)))
    A, B = base[:, :d], base[:, d:]
    groups = {name: [name] for name in space.names}
    subtree_groups = {name: [name, *below] for name, below in descendants(space.parameters).items()}
    with single_threaded_blas():
        fA, fB = surrogate.mean_unit(space.snap_unit(A)), surrogate.mean_unit(space.snap_unit(B))
        variance = float(np.var(np.concatenate([fA, fB])))

        def index(names: list[str]) -> float:
            AB = A.copy()
            columns = [space.names.index(n) for n in names]
            AB[:, columns] = B[:, columns]
            effect = float(np.mean(fB * (surrogate.mean_unit(space.snap_unit(AB)) - fA)))
            return min(1.0, max(0.0, effect / variance)) if variance > 0 else 0.0

        return {n: index(g) for n, g in groups.items()}, {n: index(g) for n, g in subtree_groups.items()}
