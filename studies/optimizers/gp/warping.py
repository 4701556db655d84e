"""Output warping: losses -> standardized, Gaussian-looking targets for the GP, and back.

HPO losses are skewed and heavy-tailed; a Yeo-Johnson transform fitted by maximum likelihood
(between two standardizations) tames them, as in HEBO. Failed trials (NaN) become the worst warped
value plus a margin, so they repel the search without dominating the fit.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

FAILED_MARGIN = 0.5
_LAMBDA_RANGE = (-2.0, 3.0)
_MIN_POINTS_TO_WARP = 5


def _yeojohnson(x: np.ndarray, lmbda: float) -> np.ndarray:
    return stats.yeojohnson(x, lmbda=lmbda)


def _yeojohnson_inverse(t: np.ndarray, lmbda: float) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    out = np.empty_like(t)
    pos = t >= 0
    if abs(lmbda) < 1e-12:
        out[pos] = np.expm1(t[pos])
    else:
        out[pos] = np.power(np.maximum(lmbda * t[pos] + 1.0, 1e-300), 1.0 / lmbda) - 1.0
    if abs(lmbda - 2.0) < 1e-12:
        out[~pos] = -np.expm1(-t[~pos])
    else:
        out[~pos] = 1.0 - np.power(np.maximum(1.0 - (2.0 - lmbda) * t[~pos], 1e-300), 1.0 / (2.0 - lmbda))
    return out


class OutputWarp:
    """Fitted on the finite losses; `forward` maps losses to targets, `inverse` maps targets back."""

    def __init__(self, losses: np.ndarray) -> None:
        finite = losses[np.isfinite(losses)]
        self.loc = float(np.mean(finite)) if finite.size else 0.0
        spread = float(np.std(finite)) if finite.size > 1 else 0.0
        self.scale = spread if spread > 1e-12 * max(1.0, abs(self.loc)) else 1.0
        z = (finite - self.loc) / self.scale
        self.lmbda = 1.0
        if finite.size >= _MIN_POINTS_TO_WARP and spread > 0:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    lmbda = float(stats.yeojohnson_normmax(z))
                except (ValueError, FloatingPointError, RuntimeError):
                    lmbda = 1.0
            self.lmbda = float(np.clip(lmbda, *_LAMBDA_RANGE)) if np.isfinite(lmbda) else 1.0
        w = _yeojohnson(z, self.lmbda)
        self.loc2 = float(np.mean(w)) if w.size else 0.0
        spread2 = float(np.std(w)) if w.size > 1 else 0.0
        self.scale2 = spread2 if spread2 > 1e-12 else 1.0
        self.failed_target = float((np.max(w) - self.loc2) / self.scale2 + FAILED_MARGIN) if w.size else 0.0

    def forward(self, losses: np.ndarray) -> np.ndarray:
        losses = np.asarray(losses, dtype=float)
        out = np.full(losses.shape, self.failed_target)
        ok = np.isfinite(losses)
        w = _yeojohnson((losses[ok] - self.loc) / self.scale, self.lmbda)
        out[ok] = (w - self.loc2) / self.scale2
        return out

    def inverse(self, targets: np.ndarray) -> np.ndarray:
        w = np.asarray(targets, dtype=float) * self.scale2 + self.loc2
        with np.errstate(all="ignore"):
            return _yeojohnson_inverse(w, self.lmbda) * self.scale + self.loc
