"""Matern-5/2 ARD kernel on the index-form unit cube.

Numeric dimensions contribute ((x - x') / l)^2 to the squared distance; a categorical dimension
contributes [x != x'] / l^2 (Hamming), which equals a one-hot encoding with one shared lengthscale per
parameter, without widening the arrays. k(r) = s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

SQRT5 = np.sqrt(5.0)


class ScaledDistance:
    """sum_j inv_ls2[j] * delta_j^2 for one set of lengthscales; a GP keeps one, with its points scaled
    once, for the hundreds of distances from candidates to them that an acquisition search takes."""

    def __init__(self, inv_ls2: np.ndarray, cat_mask: np.ndarray) -> None:
        self.numeric = ~cat_mask
        self.root = np.sqrt(inv_ls2[self.numeric])
        self.categorical = [(j, inv_ls2[j]) for j in np.flatnonzero(cat_mask)]

    def scaled(self, X: np.ndarray) -> np.ndarray:
        """The numeric columns of X, each divided by its lengthscale."""
        return X[:, self.numeric] * self.root

    def sqdist(self, A: np.ndarray, B: np.ndarray, B_scaled: np.ndarray | None = None) -> np.ndarray:
        """(m, n) squared distances between rows of A (m, d) and B (n, d); B_scaled: `scaled(B)`."""
        r2 = cdist(self.scaled(A), self.scaled(B) if B_scaled is None else B_scaled, "sqeuclidean")
        for j, w in self.categorical:
            r2 += w * (np.abs(A[:, j, None] - B[None, :, j]) > 1e-9)
        return r2


# The two kernels below work in place on three arrays, each step the same floating-point operation as
# the expression in its comment: a fresh array per step cost more than the arithmetic at the
# candidate screen's 832 x 100 kernel (docs/benchmarks.md, GP speed).


def matern52(r2: np.ndarray, scale: float) -> np.ndarray:
    """scale (1 + sqrt5 r + 5/3 r2) exp(-sqrt5 r), r = sqrt(max(r2, 0))."""
    r = np.maximum(r2, 0.0)
    np.sqrt(r, out=r)
    e = np.multiply(r, -SQRT5)
    np.exp(e, out=e)
    r *= SQRT5
    r += 1.0
    poly = np.multiply(r2, 5.0 / 3.0)
    poly += r  # 1 + sqrt5 r + 5/3 r2
    poly *= scale
    poly *= e
    return poly


def matern52_and_dr2(r2: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """k and d k / d r2 together, sharing the square root and the exponential."""
    a = np.maximum(r2, 0.0)
    np.sqrt(a, out=a)
    e = np.multiply(a, -SQRT5)
    np.exp(e, out=e)
    e *= scale  # scale exp(-sqrt5 r)
    a *= SQRT5
    a += 1.0  # 1 + sqrt5 r
    k = np.multiply(r2, 5.0 / 3.0)
    k += a
    k *= e  # (a + 5/3 r2) e
    a *= -5.0 / 6.0
    a *= e  # -5/6 a e
    return k, a


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
