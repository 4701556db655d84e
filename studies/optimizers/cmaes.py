"""CMA-ES (Hansen's tutorial, 2016) on the space's [0, 1] encoding, with margin for discrete
dimensions (Hamano et al. 2022) and IPOP restarts (Auger and Hansen 2005).

Stateless: the distribution is rebuilt on every call by replaying the history. Trials are taken in
the order of ``history`` and grouped into generations of lambda = 4 + floor(3 ln d); each complete
generation updates the mean, step size, evolution paths and covariance from the points that were
actually evaluated (whoever proposed them: their Mahalanobis length is capped as for injected
solutions, so a foreign point cannot blow up the step size). Failed trials rank below every finite
value. Left-over trials of an incomplete generation, the pending ones and the earlier points of a
batch belong to the generation in progress; new points are sampled from its distribution.

A run restarts with twice the population (IPOP) from a random mean when the step size collapses
(every continuous coordinate's standard deviation below ``_TOL_X``), when the best value has not
improved for 10 + 30 d / lambda generations, or when the covariance is ill-conditioned.

Integers, stepped floats and categoricals (by their index cells) are handled by the margin: the
sampling standard deviation of a discrete coordinate never drops below the width that keeps a
probability of at least 1 / (d lambda) of leaving the mean's cell on each side, so those
coordinates keep moving instead of freezing on one value.

Conditional spaces: a stated fallback, not a per-branch search. CMA-ES runs on the whole cube; a
sample decodes to the parameters its branch makes active, and an evaluated point is replayed with
its inactive coordinates at the centre (`INACTIVE_UNIT`), which the update then treats as sampled
there. Valid and complete points, but the covariance learns little from the parameters of branches
it rarely visits; use tpe or gp on tree-shaped spaces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtri

from .base import Optimizer, SearchExhausted
from .settings import Setting
from .space import SearchSpace

_TOL_X = 1e-4
_MAX_CONDITION = 1e14
_RESAMPLES = 100


class _Run:
    """The state of one CMA-ES run; ``update`` applies one generation."""

    def __init__(self, d: int, popsize: int, sigma: float, mean: np.ndarray) -> None:
        self.d, self.popsize, self.sigma, self.mean = d, popsize, sigma, mean
        self.cov = np.eye(d)
        self.path_c = np.zeros(d)
        self.path_sigma = np.zeros(d)
        self.generation = 0
        self.best, self.best_generation = math.inf, 0
        self.mu = popsize // 2
        w = math.log((popsize + 1) / 2) - np.log(np.arange(1, self.mu + 1))
        self.weights = w / w.sum()
        self.mu_eff = 1.0 / np.sum(self.weights**2)
        self.c_sigma = (self.mu_eff + 2) / (d + self.mu_eff + 5)
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((self.mu_eff - 1) / (d + 1)) - 1) + self.c_sigma
        self.c_c = (4 + self.mu_eff / d) / (d + 4 + 2 * self.mu_eff / d)
        self.c_1 = 2 / ((d + 1.3) ** 2 + self.mu_eff)
        self.c_mu = min(1 - self.c_1, 2 * (self.mu_eff - 2 + 1 / self.mu_eff) / ((d + 2) ** 2 + self.mu_eff))
        self.chi_d = math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d * d))
        self._decompose()

    def _decompose(self) -> None:
        self.cov = (self.cov + self.cov.T) / 2
        eigenvalues, self.basis = np.linalg.eigh(self.cov)
        self.scales = np.sqrt(np.maximum(eigenvalues, 1e-20))

    def margin(self, min_std: np.ndarray) -> np.ndarray:
        """Diagonal stretch A that lifts each discrete coordinate's standard deviation to its floor."""
        std = self.sigma * np.sqrt(np.diag(self.cov))
        return np.maximum(1.0, min_std / std)

    def update(self, X: np.ndarray, losses: np.ndarray, min_std: np.ndarray) -> None:
        """One generation: X (popsize, d) evaluated points, losses with inf for failed trials."""
        stretch = self.margin(min_std)
        Y = (X - self.mean) / (self.sigma * stretch)
        whitening = self.basis @ np.diag(1 / self.scales) @ self.basis.T
        # Cap each step's Mahalanobis length as for injected solutions (Hansen 2011).
        cap = math.sqrt(self.d) + 2 * self.d / (self.d + 2)
        lengths = np.linalg.norm(Y @ whitening, axis=1)
        Y *= np.minimum(1.0, cap / np.maximum(lengths, 1e-300))[:, None]
        order = np.argsort(losses, kind="stable")[: self.mu]
        y_w = self.weights @ Y[order]
        self.mean = np.clip(self.mean + self.sigma * stretch * y_w, 0.0, 1.0)
        self.path_sigma = (1 - self.c_sigma) * self.path_sigma + math.sqrt(
            self.c_sigma * (2 - self.c_sigma) * self.mu_eff
        ) * (whitening @ y_w)
        self.generation += 1
        norm_ps = np.linalg.norm(self.path_sigma)
        h_sigma = (
            norm_ps / math.sqrt(1 - (1 - self.c_sigma) ** (2 * self.generation))
            < (1.4 + 2 / (self.d + 1)) * self.chi_d
        )
        self.path_c = (1 - self.c_c) * self.path_c + h_sigma * math.sqrt(
            self.c_c * (2 - self.c_c) * self.mu_eff
        ) * y_w
        rank_mu = (Y[order].T * self.weights) @ Y[order]
        self.cov = (
            (1 - self.c_1 - self.c_mu) * self.cov
            + self.c_1
            * (np.outer(self.path_c, self.path_c) + (1 - h_sigma) * self.c_c * (2 - self.c_c) * self.cov)
            + self.c_mu * rank_mu
        )
        self.sigma = min(self.sigma * math.exp(self.c_sigma / self.d_sigma * (norm_ps / self.chi_d - 1)), 1.0)
        self._decompose()
        generation_best = float(losses.min())
        if generation_best < self.best:
            self.best, self.best_generation = generation_best, self.generation

    def should_restart(self, continuous: np.ndarray) -> bool:
        std = self.sigma * np.sqrt(np.diag(self.cov))
        collapsed = bool(continuous.any()) and bool(np.all(std[continuous] < _TOL_X))
        patience = 10 + math.ceil(30 * self.d / self.popsize)
        stagnant = self.generation - self.best_generation > patience
        ill = self.scales.max() ** 2 > _MAX_CONDITION * self.scales.min() ** 2
        return collapsed or stagnant or ill

    def sample(self, rng: np.random.Generator, min_std: np.ndarray) -> np.ndarray:
        """One point inside the unit cube: resampled while outside, clipped as a last resort."""
        stretch = self.margin(min_std)
        for _ in range(_RESAMPLES):
            z = rng.standard_normal(self.d)
            x = self.mean + self.sigma * stretch * (self.basis @ (self.scales * z))
            if np.all((x >= 0.0) & (x <= 1.0)):
                return x
        return np.clip(x, 0.0, 1.0)


class CMAES(Optimizer):
    """CMA-ES rebuilt from the history at every call; see the module docstring for the replay."""

    name = "cmaes"
    SETTINGS = (
        Setting(
            "sigma0",
            "float",
            1 / 6,
            "Initial step size as a fraction of each parameter's range (on its log scale where log).",
            min=0.01,
            max=1.0,
        ),
        Setting(
            "restarts",
            "bool",
            True,
            "Restart with a doubled population (IPOP) when the search converges or stagnates.",
        ),
    )

    def _suggest(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        d = len(self.space)
        X = self.space.encode([params for params, _ in history])
        losses = np.nan_to_num(self.losses(history), nan=math.inf)
        continuous = np.array([not p.n_levels for p in self.space.parameters])
        restarts, start = 0, 0
        run = _Run(d, 4 + int(3 * math.log(d)), self.settings["sigma0"], np.full(d, 0.5))
        while start + run.popsize <= len(X):
            stop = start + run.popsize
            run.update(X[start:stop], losses[start:stop], _margin_floor(self.space, run.mean, run.popsize))
            start = stop
            if self.settings["restarts"] and run.should_restart(continuous):
                restarts += 1
                mean = np.random.default_rng([self.seed, restarts]).random(d)
                run = _Run(d, 2 * run.popsize, self.settings["sigma0"], mean)
        rng = np.random.default_rng([self.seed, len(history), len(pending)])
        taken = set(self.space.point_keys([params for params, _ in history] + pending))
        out: list[tuple[dict[str, Any], dict[str, Any]]] = []
        info = {
            "restart": restarts,
            "generation": run.generation,
            "population": run.popsize,
            "sigma": float(run.sigma),
        }
        min_std = _margin_floor(self.space, run.mean, run.popsize)
        for _ in range(n * _RESAMPLES):
            params = self.space.decode(run.sample(rng, min_std))[0]
            key = self.space.point_keys([params])[0]
            if key not in taken:
                taken.add(key)
                out.append((params, dict(info)))
                if len(out) == n:
                    break
        if not out:
            raise SearchExhausted("CMA-ES found no point that is not already evaluated or pending")
        return out


def _margin_floor(space: SearchSpace, mean: np.ndarray, popsize: int) -> np.ndarray:
    """Each coordinate's minimum standard deviation: 0 when continuous, else the one that leaves the
    mean's cell on each side with probability 1 / (d popsize) (Hamano et al.'s margin)."""
    d = len(space)
    z = float(ndtri(1 - 1 / (d * popsize)))
    out = np.zeros(d)
    for j, p in enumerate(space.parameters):
        if not p.n_levels:
            continue
        lo, hi = p.level_edges(p.unit_levels(mean[j : j + 1]))
        width = float(hi[0] - lo[0])
        out[j] = width / (2 * z)
    return out
