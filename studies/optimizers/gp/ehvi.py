"""Expected hypervolume improvement (EHVI) of independent Gaussian objectives, in log space.

The region a new point could add to the hypervolume (below the reference point, not dominated by the
front) is cut into boxes: a grid on the front's coordinates in the first k - 1 objectives, each
column open downwards in the last objective up to the lowest front point that dominates the column.
Inside a box [l, u] a point y adds prod_j (u_j - max(y_j, l_j))^+, and with independent objectives
its expectation is the product of one-dimensional ones, each sigma * (h(b) - h(a)) with
h(z) = z Phi(z) + phi(z), a = (l - mean) / sigma, b = (u - mean) / sigma (Emmerich et al. 2006;
Yang et al. 2019 for the box form). Summed over boxes in log space (`log_h` of log EI), it stays
informative far from the front, as log EI does (Ament et al. 2023; BoTorch's qLogEHVI).
A box's factor depends only on its interval in each objective, so each objective's factors are a
table over its few distinct intervals, and a box looks its factors up: (n + 1)^(k - 1) boxes for n
front points cost additions, not Gaussian integrals.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr

from .acquisition import log_h

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_EXP_CAP = 700.0


def _log1mexp(w: np.ndarray) -> np.ndarray:
    """log(1 - exp(w)) for w <= 0 (-inf at w = 0)."""
    w = np.minimum(w, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(w > -math.log(2.0), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))


class BoxDecomposition:
    """The non-dominated region of `front` (n, k) below `reference` (k,), as boxes indexing intervals.

    `lows[j]`, `highs[j]`: objective j's distinct intervals; `index` (boxes, k): each box's interval
    in each objective. The last objective's intervals all start at -inf.
    """

    def __init__(self, front: np.ndarray, reference: np.ndarray) -> None:
        k = len(reference)
        front = front[np.all(front < reference, axis=1)].reshape(-1, k)
        self.lows, self.highs = [], []
        for j in range(k - 1):
            cuts = np.unique(front[:, j])
            self.lows.append(np.concatenate([[-np.inf], cuts]))
            self.highs.append(np.concatenate([cuts, [reference[j]]]))
        grids = np.meshgrid(*[np.arange(len(low)) for low in self.lows], indexing="ij")
        cells = np.stack([g.ravel() for g in grids], axis=1).reshape(-1, k - 1)
        corners = np.stack([self.lows[j][cells[:, j]] for j in range(k - 1)], axis=1).reshape(-1, k - 1)
        # the lowest last objective among front points that dominate each column's lower corner
        covers = np.all(front[None, :, : k - 1] <= corners[:, None, :], axis=2)
        tops = np.min(
            np.where(covers, front[None, :, k - 1], reference[k - 1]), axis=1, initial=reference[k - 1]
        )
        self.highs.append(np.unique(tops))
        self.lows.append(np.full(len(self.highs[-1]), -np.inf))
        self.index = np.column_stack([cells, np.searchsorted(self.highs[-1], tops)])
        # (boxes, intervals) per objective: which interval each box takes, to sum gradients by interval
        self.members = [np.eye(len(low))[self.index[:, j]] for j, low in enumerate(self.lows)]

    def log_ehvi(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        """(m,) log EHVI at m points from their (m, k) posterior means and standard deviations."""
        values = [self._log_value(mean[:, j], std[:, j], j)[0] for j in range(mean.shape[1])]
        return self._log_sum(values)[0]

    def log_ehvi_with_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`log_ehvi` and its partial derivatives (m, k) in each mean and each standard deviation."""
        parts = [self._log_factor(mean[:, j], std[:, j], j) for j in range(mean.shape[1])]
        log_ehvi, weights = self._log_sum([value for value, _, _ in parts])
        d_mean, d_std = np.empty_like(mean), np.empty_like(std)
        for j, (_, d_m, d_s) in enumerate(parts):
            by_interval = weights @ self.members[j]
            d_mean[:, j] = np.sum(by_interval * d_m, axis=1)
            d_std[:, j] = np.sum(by_interval * d_s, axis=1)
        return log_ehvi, d_mean, d_std

    def _log_sum(self, log_factors: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """log of the sum over boxes of the product of their factors, and each box's share (m, boxes)."""
        total = sum(value[:, self.index[:, j]] for j, value in enumerate(log_factors))
        top = total.max(axis=1, keepdims=True)
        shares = np.exp(total - top)
        sums = shares.sum(axis=1, keepdims=True)
        return (top + np.log(sums))[:, 0], shares / sums

    def _log_value(self, mean: np.ndarray, std: np.ndarray, j: int):
        """(m, intervals) log E[(u - max(y, l))^+] of objective j, and the standardized bounds a, b."""
        mu, sigma = mean[:, None], std[:, None]
        a, b = (self.lows[j][None, :] - mu) / sigma, (self.highs[j][None, :] - mu) / sigma
        log_ha, log_hb = log_h(np.maximum(a, -1e6)), log_h(b)
        log_ha = np.where(np.isfinite(a), log_ha, -np.inf)
        return np.log(sigma) + log_hb + _log1mexp(log_ha - log_hb), a, b  # log(sigma (h(b) - h(a)))

    def _log_factor(self, mean: np.ndarray, std: np.ndarray, j: int):
        """`_log_value` of objective j and its derivatives in mean and std."""
        value, a, b = self._log_value(mean, std, j)
        log_phi_a, log_phi_b = (
            -0.5 * np.nan_to_num(a, neginf=-1e150) ** 2 - _LOG_SQRT_2PI,
            -0.5 * b**2 - _LOG_SQRT_2PI,
        )
        log_cdf_b = log_ndtr(b)
        log_dcdf = log_cdf_b + _log1mexp(log_ndtr(a) - log_cdf_b)  # log(Phi(b) - Phi(a))
        # d psi / d mean = -(Phi(b) - Phi(a)), d psi / d sigma = phi(b) - phi(a), divided by psi. An
        # interval a rounding wide (front points equal up to 1e-17) has psi = 0: its boxes weigh
        # nothing, and a slope of 0 keeps 0 x NaN out of the sums over boxes.
        empty = np.isneginf(value)
        log_psi = np.where(empty, 0.0, value)
        d_mean = np.where(empty, 0.0, -np.exp(np.minimum(log_dcdf - log_psi, _EXP_CAP)))
        d_std = np.where(
            empty,
            0.0,
            np.exp(np.minimum(log_phi_b - log_psi, _EXP_CAP))
            - np.exp(np.minimum(log_phi_a - log_psi, _EXP_CAP)),
        )
        return value, d_mean, d_std
