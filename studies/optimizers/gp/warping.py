"""Output warping: losses -> standardized targets for the GP, and back.

HPO losses are skewed and heavy-tailed, and what matters is resolution among the good ones. So the
better half stays linear, scaled by its own spread (median - best), and the worse half is compressed
by a Box-Cox power of 1 + z, ((1 + z)^s - 1) / s, whose strength s runs from log1p (s = 0: a few huge
losses neither flatten the good region nor dominate the fit, as Rosenbrock needs) to linear (s = 1: a
smooth bowl such as Branin's stays a bowl instead of narrow holes in a plateau). s is fitted with the
GP's hyperparameters (regressor.py), the warp's Jacobian included, under a prior centred on log1p,
except in EHVI's per-objective models, which keep log1p (hypervolume_model.py says why).
(A Yeo-Johnson transform of all losses fitted by likelihood was tried first: its lambda follows the
outliers and on Branin squeezed the best values together until EI stalled on a local minimum; here
the better half is linear whatever s is.) Failed trials (NaN) become the worst target plus a margin,
so they repel the search without poisoning the fit.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

FAILED_MARGIN = 0.5
_HUGE = 1e100  # losses are clipped here so that no arithmetic overflows


def _power(log1p_z: np.ndarray, strength: float) -> np.ndarray:
    """((1 + z)^s - 1) / s of log1p(z) >= 0; log1p(z) itself at s = 0."""
    if strength == 0.0:
        return log1p_z
    with np.errstate(over="ignore"):
        return np.expm1(np.minimum(strength * log1p_z, 700.0)) / strength


def _power_and_derivative(log1p_z: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """`_power` and its derivative in s; the derivative by its series where s log1p(z) is small and
    the closed form cancels."""
    u = strength * log1p_z
    series = log1p_z**2 * (0.5 + u / 3.0 + u**2 / 8.0)
    if strength == 0.0:
        return log1p_z, series
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.expm1(np.minimum(u, 700.0))
        exact = (u * (e + 1.0) - e) / strength**2
    return e / strength, np.where(u < 1e-3, series, exact)


class WarpedTargets(NamedTuple):
    """A fit's targets at one strength s, what depends on s there, and its derivative in s."""

    y: np.ndarray
    dy: np.ndarray
    log_jacobian: float  # of losses -> targets, up to a constant
    d_log_jacobian: float
    log_variance: float  # of all the targets: the GP's output scale is fitted relative to it
    d_log_variance: float


class OutputWarp:
    """Fitted on the finite losses; `forward` maps losses to targets, `inverse` maps targets back.

    The scale is the log1p warp's whatever the strength: the better half, linear in every warp, keeps
    its units, so the noise floor and prior mean the same there and only the worse half's shape moves.
    """

    def __init__(self, losses: np.ndarray) -> None:
        self._finite = np.isfinite(losses)
        finite = np.clip(losses[self._finite], -_HUGE, _HUGE)
        self.strength = 0.0
        self.centre = float(np.median(finite)) if finite.size else 0.0
        spread = self.centre - float(np.min(finite)) if finite.size else 0.0
        if spread <= 1e-12 * max(1.0, abs(self.centre)):
            spread = float(np.std(finite)) if finite.size > 1 else 0.0
        self.spread = spread if spread > 1e-12 * max(1.0, abs(self.centre)) else 1.0
        z = self._z(finite)
        std = float(np.std(self._compress(z, 0.0))) if z.size > 1 else 0.0
        self.scale = std if std > 1e-12 else 1.0
        self._z_all, self._worse = z, z > 0
        self._log1p_worse = np.log1p(z[self._worse])
        self._better = z[~self._worse]
        self.loc, self.failed_target = self._loc_and_failed_target(0.0)

    def with_strength(self, strength: float) -> OutputWarp:
        """The same warp at another strength (fitted with the kernel: `targets_by_strength`)."""
        warp = copy.copy(self)
        warp.strength = strength
        warp.loc, warp.failed_target = self._loc_and_failed_target(strength)
        return warp

    def _z(self, losses: np.ndarray) -> np.ndarray:
        return (np.clip(losses, -_HUGE, _HUGE) - self.centre) / self.spread

    @staticmethod
    def _compress(z: np.ndarray, strength: float) -> np.ndarray:
        return np.where(z > 0, _power(np.log1p(np.maximum(z, 0.0)), strength), z)

    def _loc_and_failed_target(self, strength: float) -> tuple[float, float]:
        """The mean compressed loss, and the failures' target, at this strength."""
        if not self._z_all.size:
            return 0.0, 0.0
        w = self._z_all.copy()  # summed in the losses' order: at strength 0 exactly the log1p warp's
        w[self._worse] = _power(self._log1p_worse, strength)
        loc = float(np.mean(w))
        return loc, (float(np.max(w)) - loc) / self.scale + FAILED_MARGIN

    def targets_by_strength(self, fit_idx: np.ndarray) -> Callable[[float], WarpedTargets]:
        """The targets of the losses at `fit_idx` (the fit's points) as a function of the strength, for
        fitting it.

        Called at every likelihood evaluation of the fit, so what does not depend on the strength is
        computed once here, and the fit's points are read from the warp's own.
        """
        finite = self._finite[fit_idx]
        at = (np.cumsum(self._finite) - 1)[fit_idx][finite]  # the finite fit points among the warp's
        worse = np.zeros(len(fit_idx), dtype=bool)
        worse[finite] = self._worse[at]
        at_worse = (np.cumsum(self._worse) - 1)[at[self._worse[at]]]  # ... among its worse half
        jacobian_slope = float(np.sum(self._log1p_worse[at_worse]))  # log w'(z) = (s - 1) log1p(z) there
        all_log1p, n_all = self._log1p_worse, max(self._z_all.size, 1)
        better, better_sum = self._better, float(np.sum(self._better))
        top = int(np.argmax(all_log1p)) if all_log1p.size else None
        top_better = float(np.max(better)) if better.size else 0.0
        base = np.zeros(len(fit_idx))
        base[finite] = self._z_all[at]

        def targets(strength: float) -> WarpedTargets:
            worse_all, d_worse = _power_and_derivative(all_log1p, strength)
            loc = (better_sum + float(np.sum(worse_all))) / n_all
            d_loc = float(np.sum(d_worse)) / n_all
            top_w, d_top = (top_better, 0.0) if top is None else (float(worse_all[top]), float(d_worse[top]))
            w = base.copy()
            w[worse] = worse_all[at_worse]
            y = (w - loc) / self.scale
            y[~finite] = (top_w - loc) / self.scale + FAILED_MARGIN
            dy = np.full(len(fit_idx), -d_loc / self.scale)
            dy[worse] += d_worse[at_worse] / self.scale
            dy[~finite] = (d_top - d_loc) / self.scale
            centred = worse_all - loc
            variance = (float(np.sum((better - loc) ** 2)) + float(centred @ centred)) / n_all
            if variance <= 0.0:
                log_variance = d_log_variance = 0.0
            else:
                log_variance = math.log(variance / self.scale**2)
                d_log_variance = 2.0 * float(centred @ d_worse) / n_all / variance
            return WarpedTargets(
                y, dy, strength * jacobian_slope, jacobian_slope, log_variance, d_log_variance
            )

        return targets

    def forward(self, losses: np.ndarray) -> np.ndarray:
        losses = np.asarray(losses, dtype=float)
        out = np.full(losses.shape, self.failed_target)
        ok = np.isfinite(losses)
        out[ok] = (self._compress(self._z(losses[ok]), self.strength) - self.loc) / self.scale
        return out

    def inverse(self, targets: np.ndarray) -> np.ndarray:
        w = np.asarray(targets, dtype=float) * self.scale + self.loc
        s = self.strength
        with np.errstate(over="ignore", invalid="ignore"):
            log1p_z = np.log1p(s * np.maximum(w, 0.0)) / s if s > 0 else w
            z = np.where(w > 0, np.expm1(np.minimum(log1p_z, 700.0)), w)
        return z * self.spread + self.centre
