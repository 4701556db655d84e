"""Matern-5/2 ARD kernel on the index-form unit cube.

Numeric dimensions contribute ((x - x') / l)^2 to the squared distance; a categorical dimension
contributes [x != x'] / l^2 (Hamming), which equals a one-hot encoding with one shared lengthscale per
parameter, without widening the arrays. k(r) = s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

SQRT5 = np.sqrt(5.0)


def scaled_sqdist(A: np.ndarray, B: np.ndarray, inv_ls2: np.ndarray, cat_mask: np.ndarray) -> np.ndarray:
    """(m, n) squared distances sum_j inv_ls2[j] * delta_j^2 between rows of A (m, d) and B (n, d)."""
    num = ~cat_mask
    scale = np.sqrt(inv_ls2[num])
    r2 = cdist(A[:, num] * scale, B[:, num] * scale, "sqeuclidean")
    for j in np.flatnonzero(cat_mask):
        r2 += inv_ls2[j] * (np.abs(A[:, j, None] - B[None, :, j]) > 1e-9)
    return r2


def matern52(r2: np.ndarray, scale: float) -> np.ndarray:
    r = np.sqrt(np.maximum(r2, 0.0))
    return scale * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)


def matern52_and_dr2(r2: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """k and d k / d r2 together, sharing the square root and the exponential."""
    r = np.sqrt(np.maximum(r2, 0.0))
    e = scale * np.exp(-SQRT5 * r)
    a = 1.0 + SQRT5 * r
    return (a + (5.0 / 3.0) * r2) * e, -(5.0 / 6.0) * a * e


def sq_differences(X: np.ndarray, cat_mask: np.ndarray) -> np.ndarray:
    """(d, n (n - 1) / 2) per-dimension contributions to the squared distance between each pair of
    rows a < b of X (n, d), in scipy's condensed order (`squareform`): (x_aj - x_bj)^2 on numeric
    dimensions, [x_aj != x_bj] on categorical ones.

    Computed once per fit, it turns the scaled squared distances into one product, inv_ls2 @ D, and the
    likelihood gradient's contractions sum_ab M_ab delta_j(a, b)^2 into another. Each pair once: at
    50 dimensions a fit's time was reading D, twice per likelihood evaluation.
    """
    a, b = np.triu_indices(len(X), 1)
    diff = np.ascontiguousarray((X[a] - X[b]).T)  # rows contiguous: each product streams them
    D = diff**2
    D[cat_mask] = np.abs(diff[cat_mask]) > 1e-9
    return D
