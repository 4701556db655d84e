"""Parameter importance for the dashboard: PED-ANOVA with bootstrap intervals, or the GP's Sobol indices.

PED-ANOVA (Watanabe et al. 2023) asks, per parameter, how differently the best trials are spread
from all trials: the Pearson divergence between the two densities of the parameter's encoded value.
It is closed form and needs no model, so it takes milliseconds at thousands of trials. Densities
live on a grid of at most ``_GRID`` cells of the space's [0, 1] encoding (log parameters in log
space, one cell per level for parameters with few levels): Gaussian kernels with Scott's bandwidth
plus one wide prior kernel, truncated to the grid; categoricals are smoothed frequencies.

Only complete trials count; failed ones (None, NaN, inf) say nothing about where the good region is.
A bootstrap resample is a vector of trial weights, so every resample reuses the same binning.

In a conditional space an inactive parameter is missing, not a value: a parameter's divergence is
taken over the trials that hold it (the best trials among them against all of them) and weighted by
the share of the best trials that hold it, so a parameter of a branch the good trials avoid counts
little, and the trials without it never pile up in one cell. A parent's choice also decides what its
children can do, so each parent gets a ``subtree`` importance as well: its own plus its descendants'
(PED-ANOVA), or the Sobol index of the parent and its descendants varied together (GP).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .base import clean_value
from .conditions import descendants
from .space import Parameter, SearchSpace

_GRID = 50
_PRIOR_WEIGHT = 1.0
# Below this many complete trials the ranking is mostly noise; the dashboard shows the warning.
MIN_TRIALS = 20
# Each GP resample is a fit of its own: a handful gives a usable interval at a worker's cost.
GP_BOOTSTRAP = 10


def importance(
    space: SearchSpace,
    history: Sequence[tuple[Mapping[str, Any], Any]],
    direction: str = "minimize",
    method: str = "ped_anova",
    n_bootstrap: int = 50,
    seed: int = 0,
    quantile: float = 0.1,
) -> dict[str, Any]:
    """Importances that sum to 1, each with a 95 % bootstrap interval ``low`` .. ``high``.

    Returns ``{"method", "n_trials", "warning", "params": {name: {"importance", "low", "high"}}}``;
    ``warning`` is a sentence when the result should not be trusted, else None. In a conditional
    space each parent's entry also holds ``subtree``: its importance with its descendants' effect.
    """
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be between 0 and 1, got {quantile!r}")
    sign = -1.0 if direction == "maximize" else 1.0
    complete = [(params, sign * clean_value(value)) for params, value in history]
    complete = [(params, loss) for params, loss in complete if not math.isnan(loss)]
    n = len(complete)
    warning = None
    if n < MIN_TRIALS:
        warning = f"Based on only {n} complete trials; importances are unreliable below {MIN_TRIALS}."
    if method == "gp":
        params = _gp_sobol(space, complete, min(n_bootstrap, GP_BOOTSTRAP), seed)
    elif method == "ped_anova":
        params = _ped_anova(space, complete, n_bootstrap, seed, quantile)
    else:
        raise ValueError(f"unknown importance method {method!r}; choose 'ped_anova' or 'gp'")
    return {"method": method, "n_trials": n, "warning": warning, "params": params}


def _gp_sobol(
    space: SearchSpace, complete: list[tuple[Mapping[str, Any], float]], n_bootstrap: int, seed: int
) -> dict[str, dict[str, float]]:
    """Sobol main effects of the GP posterior mean, normalized, with a bootstrap over the trials.

    With no complete trial the GP helper raises ValueError, which the dashboard shows as the reason.
    """
    from .posterior import gp_sobol_importance  # the GP stack is heavy; load it only when asked

    def effects(trials: list) -> tuple[np.ndarray, dict[str, float]]:
        raw, subtree = gp_sobol_importance(space, trials, "minimize", seed)  # `complete` holds losses
        raw = np.array([raw[name] for name in space.names])
        total = raw.sum()
        return _normalized(raw), {n: min(1.0, v / total) if total > 0 else 0.0 for n, v in subtree.items()}

    rng = np.random.default_rng(seed)
    n = len(complete)
    boot = [effects([complete[i] for i in rng.integers(0, n, n)])[0] for _ in range(n_bootstrap)]
    estimate, subtree = effects(complete)
    out = _with_interval(space, estimate, np.array(boot).reshape(n_bootstrap, len(space)))
    for name, value in subtree.items():
        out[name]["subtree"] = value
    return out


def _ped_anova(
    space: SearchSpace,
    complete: list[tuple[Mapping[str, Any], float]],
    n_bootstrap: int,
    seed: int,
    quantile: float,
) -> dict[str, dict[str, float]]:
    d = len(space)
    losses = np.array([loss for _, loss in complete])
    if len(complete) < 2 or np.all(losses == losses[0]):  # nothing tells a good trial from a bad one
        out = {name: {"importance": 1.0 / d, "low": 0.0, "high": 1.0} for name in space.names}
        return _with_subtrees(space, out)
    points = [params for params, _ in complete]
    estimator = _Divergences(space, space.encode(points), space.active_mask(points), losses, quantile)
    estimate = _normalized(estimator(np.ones(len(complete))))
    rng = np.random.default_rng(seed)
    resamples = rng.multinomial(len(complete), np.full(len(complete), 1.0 / len(complete)), size=n_bootstrap)
    boot = np.array([_normalized(estimator(w.astype(float))) for w in resamples]).reshape(n_bootstrap, d)
    return _with_subtrees(space, _with_interval(space, estimate, boot))


def _with_subtrees(space: SearchSpace, params: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each parent's ``subtree``: its importance plus that of every parameter below it."""
    for name, below in descendants(space.parameters).items():
        params[name]["subtree"] = params[name]["importance"] + sum(params[c]["importance"] for c in below)
    return params


def _with_interval(space: SearchSpace, estimate: np.ndarray, boot: np.ndarray) -> dict[str, dict[str, float]]:
    """Each estimate with its 95 % bootstrap percentile interval (boot: resamples x parameters).

    A percentile interval of a biased statistic can miss the estimate itself; the hull keeps the
    whisker around the bar the dashboard draws.
    """
    low = np.minimum(np.percentile(boot, 2.5, axis=0), estimate) if len(boot) else estimate
    high = np.maximum(np.percentile(boot, 97.5, axis=0), estimate) if len(boot) else estimate
    return {
        name: {"importance": float(estimate[j]), "low": float(low[j]), "high": float(high[j])}
        for j, name in enumerate(space.names)
    }


def _normalized(divergences: np.ndarray) -> np.ndarray:
    total = divergences.sum()
    return divergences / total if total > 0 else np.full(divergences.shape, 1.0 / divergences.size)


class _Divergences:
    """Pearson divergence of top versus all, per parameter, for any vector of trial weights; in a
    conditional space over the trials that hold the parameter, times the top trials' share there."""

    def __init__(
        self, space: SearchSpace, X: np.ndarray, active: np.ndarray, losses: np.ndarray, quantile: float
    ) -> None:
        self.active = active
        # Trials with equal losses share their place in the ranking, so ties never pick a side.
        _, self.rank_group = np.unique(losses, return_inverse=True)
        self.quantile = quantile
        self.categorical = [p.is_categorical for p in space.parameters]
        self.sizes = [
            len(p.choices) if p.is_categorical else min(p.n_levels or _GRID, _GRID) for p in space.parameters
        ]
        self.cells = [
            _cells(p, X[:, j], size)
            for j, (p, size) in enumerate(zip(space.parameters, self.sizes, strict=True))
        ]

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        n_top = max(2.0, math.ceil(self.quantile * weights.sum()))
        group_w = np.bincount(self.rank_group, weights=weights)
        before = np.cumsum(group_w) - group_w
        share = np.clip(n_top - before, 0.0, group_w) / np.where(group_w > 0, group_w, 1.0)
        top = weights * share[self.rank_group]
        out = np.empty(len(self.cells))
        for j, (cells, size) in enumerate(zip(self.cells, self.sizes, strict=True)):
            held = self.active[:, j]
            hist_all = np.bincount(cells[held], weights=weights[held], minlength=size)
            hist_top = np.bincount(cells[held], weights=top[held], minlength=size)
            if hist_top.sum() == 0:  # no top trial holds it: nothing says which of its values is good
                out[j] = 0.0
                continue
            density = _frequencies if self.categorical[j] else _grid_density
            p_all, p_top = density(hist_all), density(hist_top)
            out[j] = hist_top.sum() / top.sum() * float(p_all @ (p_top / p_all - 1.0) ** 2)
        return out


def _cells(parameter: Parameter, column: np.ndarray, size: int) -> np.ndarray:
    """Grid cell of each trial: its level when every level (or choice) has a cell (a log integer's
    levels have unequal widths in the encoding), else the cell of its encoded value."""
    if parameter.n_levels == size:
        return parameter.unit_levels(column).astype(int)
    return np.minimum((column * size).astype(int), size - 1)


def _frequencies(hist: np.ndarray) -> np.ndarray:
    """Category frequencies smoothed by a prior spread evenly, so no category has probability 0."""
    return (hist + _PRIOR_WEIGHT / hist.size) / (hist.sum() + _PRIOR_WEIGHT)


def _grid_density(hist: np.ndarray) -> np.ndarray:
    """Probabilities of the grid cells from a weighted histogram: Scott-bandwidth Gaussian kernels
    truncated to the grid, plus one prior kernel as wide as the grid, in grid-cell units."""
    size = hist.size
    grid = np.arange(size, dtype=float)
    total = hist.sum()
    mean = hist @ grid / total
    std = math.sqrt(max(hist @ (grid - mean) ** 2 / max(total - 1.0, 1.0), 0.0))
    cumulative = np.cumsum(hist)
    q1, q3 = np.searchsorted(cumulative, [0.25 * total, 0.75 * total])
    spread = min(std, (q3 - q1) / 1.34) if q3 > q1 else std
    # At least half a cell at 1.64 sigma, so a lone observation keeps 90 % of its mass in its cell.
    bandwidth = max(1.059 * spread * total**-0.2, 0.5 / 1.64)
    kernels = np.exp(-0.5 * ((grid[None, :] - grid[:, None]) / bandwidth) ** 2)
    kernels /= kernels.sum(axis=1, keepdims=True)
    prior = np.exp(-0.5 * ((grid - (size - 1) / 2.0) / (size + 1.0)) ** 2)
    density = hist @ kernels + _PRIOR_WEIGHT * prior / prior.sum()
    return density / density.sum()
