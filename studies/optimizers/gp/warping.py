"""Output warping: losses -> standardized targets for the GP, and back.

HPO losses are skewed and heavy-tailed, and what matters is resolution among the good ones. So the
better half stays linear, scaled by its own spread (median - best), and the worse half is compressed
by log1p, so that a few huge losses neither flatten the good region nor dominate the fit. (A
Yeo-Johnson transform fitted by likelihood was tried first: its lambda follows the outliers and on
Branin squeezed the best values together until EI stalled on a local minimum.) Failed trials (NaN)
become the worst target plus a margin, so they repel the search without poisoning the fit.
"""

from __future__ import annotations

import numpy as np

FAILED_MARGIN = 0.5
_HUGE = 1e100  # losses are clipped here so that no arithmetic overflows


class OutputWarp:
    """Fitted on the finite losses; `forward` maps losses to targets, `inverse` maps targets back."""

    def __init__(self, losses: np.ndarray) -> None:
        finite = np.clip(losses[np.isfinite(losses)], -_HUGE, _HUGE)
        self.centre = float(np.median(finite)) if finite.size else 0.0
        spread = self.centre - float(np.min(finite)) if finite.size else 0.0
        if spread <= 1e-12 * max(1.0, abs(self.centre)):
            spread = float(np.std(finite)) if finite.size > 1 else 0.0
        self.spread = spread if spread > 1e-12 * max(1.0, abs(self.centre)) else 1.0
        w = self._compress(finite)
        self.loc = float(np.mean(w)) if w.size else 0.0
        std = float(np.std(w)) if w.size > 1 else 0.0
        self.scale = std if std > 1e-12 else 1.0
        self.failed_target = float((np.max(w) - self.loc) / self.scale + FAILED_MARGIN) if w.size else 0.0

    def _compress(self, losses: np.ndarray) -> np.ndarray:
        z = (np.clip(losses, -_HUGE, _HUGE) - self.centre) / self.spread
        return np.where(z > 0, np.log1p(np.maximum(z, 0.0)), z)

    def forward(self, losses: np.ndarray) -> np.ndarray:
        losses = np.asarray(losses, dtype=float)
        out = np.full(losses.shape, self.failed_target)
        ok = np.isfinite(losses)
        out[ok] = (self._compress(losses[ok]) - self.loc) / self.scale
        return out

    def inverse(self, targets: np.ndarray) -> np.ndarray:
        w = np.asarray(targets, dtype=float) * self.scale + self.loc
        with np.errstate(over="ignore"):
            z = np.where(w > 0, np.expm1(np.minimum(w, 700.0)), w)
        return z * self.spread + self.centre
