"""Gaussian-process regression: MAP hyperparameters with priors, Cholesky posterior, gradients.

Targets are standardized (see warping.py) and the prior mean is zero. Hyperparameters, all fitted on a
log scale:
- one lengthscale per dimension, log l ~ N(ln sqrt(d/6), sqrt3): Hvarfner et al.'s (2024) sqrt(d)
  scaling, with the median at the RMS distance between two uniform points of the unit cube (10x
  shorter than theirs). With theirs the fits were nearly linear across the cube and EI followed the
  trend into corners (Ackley-5 stuck on its plateau on half the seeds; docs/benchmarks.md);
- an output scale with a weak prior;
- a noise variance with a lognormal prior centred on 1e-4 and a floor of 1e-6, so duplicates and
  deterministic objectives stay well posed. A wider prior let the GP explain Ackley's ripples as noise
  and lose its global trend, while data from a really noisy objective still moves this one up;
- where the fit is given the warp's targets as a function of its strength (warping.py), that strength,
  in [0, 1] (not a log scale), with a prior centred on log1p, the warp before it was learned
  (docs/benchmarks.md, issue 17).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from scipy.spatial.distance import squareform

from .kernel import ScaledDistance, matern52, matern52_and_dr2, sq_differences
from .warping import WarpedTargets

LOG_LS_BOUNDS = (math.log(0.01), math.log(100.0))
LOG_SCALE_BOUNDS = (math.log(0.05), math.log(20.0))
LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(2.0))
LOG_SCALE_PRIOR = (0.0, 1.0)
LOG_NOISE_PRIOR = (math.log(1e-4), 1.5)
# the output warp's strength (warping.py): 0 is log1p, the behaviour before it was fitted, 1 linear
STRENGTH_BOUNDS = (0.0, 1.0)
STRENGTH_PRIOR = (0.0, 0.5)
NOISY_START = math.log(0.1)
_JITTERS = (0.0, 1e-8, 1e-6, 1e-4, 1e-2)
Targets = Callable[[float], WarpedTargets]  # the warp's targets as a function of its strength


def lengthscale_prior(d: int) -> tuple[float, float]:
    """(mean, sd) of the normal prior on log lengthscales for a d-dimensional cube."""
    return 0.5 * math.log(d / 6.0), math.sqrt(3.0)


@dataclass(frozen=True)
class Hyperparameters:
    log_ls: np.ndarray
    log_scale: float
    log_noise: float
    warp_strength: float = 0.0

    @property
    def inv_ls2(self) -> np.ndarray:
        return np.exp(-2.0 * self.log_ls)

    @classmethod
    def from_vector(cls, theta: np.ndarray) -> Hyperparameters:
        return cls(np.array(theta[:-2]), float(theta[-2]), float(theta[-1]))


def robust_cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor, adding escalating jitter (relative to the diagonal) until it succeeds."""
    base = float(np.mean(np.diag(K))) or 1.0
    for jitter in _JITTERS:
        try:
            # K itself first: adding 0 changes no entry, and at a thousand points costs a copy of K
            jittered = K if jitter == 0.0 else K + (jitter * base) * np.eye(len(K))
            return linalg.cholesky(jittered, lower=True, check_finite=False)
        except linalg.LinAlgError:
            continue
    raise linalg.LinAlgError("the kernel matrix is not positive definite even with jitter")


class GaussianProcess:
    """The posterior of a zero-mean GP given X (n, d) in the unit cube and standardized y (n,)."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        cat_mask: np.ndarray,
        hyper: Hyperparameters,
        n_exact: int = 0,
        chol: np.ndarray | None = None,
    ) -> None:
        """The last `n_exact` rows are believed outcomes, conditioned on without observation noise.
        `chol`, when given, is the factor of this kernel matrix (see `with_exact_observations`)."""
        self.X, self.y, self.cat_mask, self.hyper, self.n_exact = X, y, cat_mask, hyper, n_exact
        self.scale = math.exp(hyper.log_scale)
        self.noise = math.exp(hyper.log_noise)
        self.inv_ls2 = hyper.inv_ls2
        self.distance = ScaledDistance(self.inv_ls2, cat_mask)
        self._X_scaled = self.distance.scaled(X)  # what every distance to the observations reads
        self._by_dims: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if chol is None:
            K = matern52(self.distance.sqdist(X, X, self._X_scaled), self.scale)
            noise = np.full(len(X), self.noise)
            noise[len(X) - n_exact :] = self.exact_noise
            K.flat[:: len(X) + 1] += noise
            chol = robust_cholesky(K)
        # Fortran order, as LAPACK takes it: the many small solves of the acquisition search copy nothing
        self.chol = np.asfortranarray(chol)
        self.alpha = linalg.cho_solve((self.chol, True), y, check_finite=False)

    @property
    def exact_noise(self) -> float:
        """The variance added to a believed outcome's diagonal: the noise floor, relative to the scale."""
        return math.exp(LOG_NOISE_BOUNDS[0]) * self.scale

    def cross_kernel(self, Xs: np.ndarray) -> np.ndarray:
        return matern52(self.distance.sqdist(Xs, self.X, self._X_scaled), self.scale)

    def predict_mean(self, Xs: np.ndarray) -> np.ndarray:
        return self.cross_kernel(Xs) @ self.alpha

    def predict(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function (no observation noise) at rows of Xs."""
        Ks = self.cross_kernel(Xs)
        mean = Ks @ self.alpha
        # solved in place of Ks.T (Fortran-ordered; Ks is not read after): no copy of the cross-kernel
        V = linalg.solve_triangular(self.chol, Ks.T, lower=True, check_finite=False, overwrite_b=True)
        var = np.maximum(self.scale - np.einsum("ij,ij->j", V, V), 1e-12 * self.scale)
        return mean, var

    def predict_cov(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean (m,) and full covariance (m, m) of the latent function."""
        Ks = self.cross_kernel(Xs)
        V = linalg.solve_triangular(self.chol, Ks.T, lower=True, check_finite=False)
        prior = matern52(self.distance.sqdist(Xs, Xs), self.scale)
        cov = prior - V.T @ V
        return Ks @ self.alpha, 0.5 * (cov + cov.T)

    def predict_with_grad(
        self, Xs: np.ndarray, dims: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients (m, len(dims)) along the numeric dimensions `dims`."""
        r2 = self.distance.sqdist(Xs, self.X, self._X_scaled)
        Ks, A = matern52_and_dr2(r2, self.scale)
        mean = Ks @ self.alpha
        Kinv_ks = linalg.lapack.dpotrs(self.chol, Ks.T, lower=1)[0].T
        var = np.maximum(self.scale - np.einsum("ij,ij->i", Ks, Kinv_ks), 1e-12 * self.scale)
        w, minus_2w, Xd = self._along(dims)
        Xsd = Xs[:, dims]
        Aa = A * self.alpha
        dmean = w * (Aa.sum(axis=1, keepdims=True) * Xsd - Aa @ Xd)
        B = A * Kinv_ks
        dvar = minus_2w * (B.sum(axis=1, keepdims=True) * Xsd - B @ Xd)
        return mean, var, dmean, dvar

    def _along(self, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """w = 2 inv_ls2, -2 w and the observations' columns along `dims`: the same at every step of a
        descent, so computed at its first."""
        key = dims.tobytes()
        if key not in self._by_dims:
            w = 2.0 * self.inv_ls2[dims]
            self._by_dims[key] = (w, -2.0 * w, self.X[:, dims])
        return self._by_dims[key]

    def with_pseudo_observations(
        self, Xp: np.ndarray, floor: float = -math.inf, believed_by: GaussianProcess | None = None
    ) -> GaussianProcess:
        """Kriging believer: the same GP also conditioned on Xp at the posterior mean of `believed_by`
        (default: its own), but never below `floor`, taken as exact.

        The variance vanishes at Xp (even when the noise is large), so a batch spreads out instead of
        piling up on a running point.
        """
        if len(Xp) == 0:
            return self
        return self.with_exact_observations(Xp, np.maximum((believed_by or self).predict_mean(Xp), floor))

    def with_exact_observations(self, Xp: np.ndarray, yp: np.ndarray) -> GaussianProcess:
        """The same GP also conditioned on Xp (p, d) at yp (p,), taken as exact.

        The Cholesky factor is extended by one block, O(n^2 p), instead of refactorized, O((n + p)^3):
        each member of a batch adds one believed point to hundreds of observations.
        """
        B = linalg.solve_triangular(self.chol, self.cross_kernel(Xp).T, lower=True, check_finite=False)
        n, p = len(self.X), len(Xp)
        Kpp = matern52(self.distance.sqdist(Xp, Xp), self.scale)
        Kpp.flat[:: p + 1] += self.exact_noise
        chol = np.zeros((n + p, n + p), order="F")
        chol[:n, :n] = self.chol
        chol[n:, :n] = B.T
        # the Schur complement: the believed points' posterior covariance plus their noise, whose
        # diagonal is at least that noise in exact arithmetic (rounding can take it below zero)
        S = Kpp - B.T @ B
        S.flat[:: p + 1] = np.maximum(S.flat[:: p + 1], self.exact_noise)
        chol[n:, n:] = robust_cholesky(S)
        X, y = np.vstack([self.X, Xp]), np.concatenate([self.y, yp])
        return GaussianProcess(X, y, self.cat_mask, self.hyper, self.n_exact + p, chol)


def neg_log_posterior(theta: np.ndarray, D: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood minus log prior, and its gradient in theta.

    D is `sq_differences(X, cat_mask)`, computed once per fit. LAPACK is called directly: at the few
    dozen to 150 points a fit uses, the wrappers' checks cost as much as the factorization.
    """
    value, grad, _ = _neg_log_posterior_and_alpha(theta, D, y)
    return value, grad


def neg_log_posterior_warped(theta: np.ndarray, D: np.ndarray, targets: Targets) -> tuple[float, np.ndarray]:
    """`neg_log_posterior` with the warp's strength as theta's last entry: the density of the losses
    (the warp's log Jacobian subtracted), so that warps of different strengths compare.

    The targets keep the log1p warp's units at every strength (warping.py), so theta's log output scale
    is relative to their variance: its prior and bounds mean what they mean for standardized targets.
    """
    strength = float(theta[-1])
    t = targets(strength)
    value, grad, alpha = _neg_log_posterior_and_alpha(theta[:-1], D, t.y, t.log_variance)
    if alpha is None:
        return value, np.zeros_like(theta)
    mu, sd = STRENGTH_PRIOR
    value += 0.5 * (strength - mu) ** 2 / sd**2 - t.log_jacobian
    k = len(theta) - 3  # the log output scale's index
    d_log_scale = grad[k] - (theta[k] - LOG_SCALE_PRIOR[0]) / LOG_SCALE_PRIOR[1] ** 2
    d_strength = float(alpha @ t.dy) - t.d_log_jacobian + (strength - mu) / sd**2
    return value, np.append(grad, d_strength + d_log_scale * t.d_log_variance)


def _neg_log_posterior_and_alpha(
    theta: np.ndarray, D: np.ndarray, y: np.ndarray, log_scale_offset: float = 0.0
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """`neg_log_posterior`, and K^-1 y (the gradient of the data term in y), None where K is singular.
    The kernel's log output scale is theta's plus `log_scale_offset`; the prior is on theta's."""
    hyper = Hyperparameters.from_vector(theta)
    n, d = len(y), len(D)
    scale, noise = math.exp(hyper.log_scale + log_scale_offset), math.exp(hyper.log_noise)
    inv_ls2 = hyper.inv_ls2
    # the kernel and dK/dr2 of each pair once (the gradient contracts over pairs), then mirrored; the
    # diagonal (r = 0) is the output scale exactly
    pair_k, pair_dk = matern52_and_dr2(inv_ls2 @ D, scale)
    K = squareform(pair_k, checks=False)
    K.flat[:: n + 1] = scale + noise
    U, info = linalg.lapack.dpotrf(K, lower=0, clean=1)
    if info != 0:
        return 1e25, np.zeros_like(theta), None
    alpha, _ = linalg.lapack.dpotrs(U, y, lower=0)
    Kinv_upper, _ = linalg.lapack.dpotri(U, lower=0)  # the lower triangle stays zero (clean=1 above)
    nll = 0.5 * y @ alpha + np.log(np.diag(U)).sum() + 0.5 * n * math.log(2 * math.pi)
    # d(log lik)/dK = W / 2 with W = alpha alpha' - K^-1, contracted with symmetric matrices only, so W
    # is used through its pairs (upper triangle) for the lengthscales and its traces for the rest
    trace_inv, aa = float(np.trace(Kinv_upper)), float(alpha @ alpha)
    W = np.outer(alpha, alpha)
    W -= Kinv_upper
    pairs = squareform(W, checks=False)
    grad = np.empty_like(theta)
    # dK/dlog l_j = dK/dr2 * (-2) inv_ls2_j delta_j^2, each pair counted in both triangles
    pairs *= 2.0
    pairs *= pair_dk
    grad[:d] = inv_ls2 * (D @ pairs)
    # tr(W Kf) with Kf = K - noise I and K alpha = y; tr(W) for the noise
    grad[d] = -0.5 * (float(alpha @ y) - noise * aa - n + noise * trace_inv)
    grad[d + 1] = -0.5 * noise * (aa - trace_inv)
    mu_ls, sd_ls = lengthscale_prior(d)
    penalty = 0.5 * np.sum((hyper.log_ls - mu_ls) ** 2) / sd_ls**2
    grad[:d] += (hyper.log_ls - mu_ls) / sd_ls**2
    for k, (mu, sd) in ((d, LOG_SCALE_PRIOR), (d + 1, LOG_NOISE_PRIOR)):
        penalty += 0.5 * (theta[k] - mu) ** 2 / sd**2
        grad[k] += (theta[k] - mu) / sd**2
    return float(nll + penalty), grad, alpha


def _starts(d: int, rng: np.random.Generator, n_starts: int) -> list[np.ndarray]:
    """The prior median, a short-lengthscale point, then draws from the prior; and a noisy start.

    From the prior's small noise a descent on a noisy objective shortens the lengthscales until the
    GP interpolates the noise, a local optimum 10 to 30 nats worse than the smooth noisy one (five
    seeds of a quadratic with noise at a tenth of its range), which the noisy start reaches. It comes
    on top of the others, so that on a noise-free objective the fit and the random stream stay as
    they were.
    """
    mu_ls, sd_ls = lengthscale_prior(d)
    noise0 = LOG_NOISE_PRIOR[0]
    starts = [
        np.concatenate([np.full(d, mu_ls), [0.0, noise0]]),
        np.concatenate([np.full(d, math.log(0.3)), [0.0, noise0]]),
    ]
    while len(starts) < n_starts:
        starts.append(np.concatenate([rng.normal(mu_ls, sd_ls, d), [0.0, noise0]]))
    return [*starts[:n_starts], np.concatenate([np.full(d, mu_ls), [0.0, NOISY_START]])]


def fit_hyperparameters(
    X: np.ndarray,
    y: np.ndarray | Targets,
    cat_mask: np.ndarray,
    rng: np.random.Generator,
    n_starts: int = 3,
    maxiter: int = 200,
    n_descents: int | None = None,
) -> Hyperparameters:
    """MAP hyperparameters by L-BFGS-B from several starts.

    y: the targets, or the warp's targets as a function of its strength (`OutputWarp.
    targets_by_strength`), which is then fitted too, from 0 (log1p) at every start.
    With `n_descents`, only that many starts, those of highest posterior density, are descended from:
    on histories of 90 to 500 points the better of the two first starts led to the same optimum as
    descending from both in 11 cases of 11, for half the likelihood evaluations.
    """
    d = X.shape[1]
    bounds = [LOG_LS_BOUNDS] * d + [LOG_SCALE_BOUNDS, LOG_NOISE_BOUNDS]
    D = sq_differences(X, cat_mask)
    if callable(y):
        objective, args = neg_log_posterior_warped, (D, y)
        bounds.append(STRENGTH_BOUNDS)
        starts = [np.append(t, STRENGTH_PRIOR[0]) for t in _starts(d, rng, n_starts)]
    else:
        objective, args = neg_log_posterior, (D, y)
        starts = _starts(d, rng, n_starts)
    lo, hi = np.array(bounds).T
    starts = [np.clip(t, lo, hi) for t in starts]
    known: dict[bytes, tuple[float, np.ndarray]] = {}
    if n_descents is not None and n_descents < len(starts):
        known = {t.tobytes(): objective(t, *args) for t in starts}
        values = [known[t.tobytes()][0] for t in starts]
        starts = [starts[i] for i in np.argsort(values, kind="stable")[:n_descents]]

    def remembered(theta: np.ndarray, *data) -> tuple[float, np.ndarray]:
        # a descent's first evaluation is its start, already evaluated above to rank the starts
        return known.pop(theta.tobytes(), None) or objective(theta, *data)

    best, best_value = None, math.inf
    for theta0 in starts:
        res = optimize.minimize(
            remembered,
            theta0,
            args=args,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # relative tolerance 1e-6 of a posterior of tens to hundreds of nats: stopping there moved no
            # lengthscale by more than 0.3% and saved up to a third of the evaluations
            options={"maxiter": maxiter, "ftol": 1e-6},
        )
        if np.all(np.isfinite(res.x)) and res.fun < best_value:
            best, best_value = res.x, res.fun
    if best is None:
        best = starts[0]
    if callable(y):
        strength = float(best[d + 2])
        log_scale = float(best[d]) + y(strength).log_variance
        return Hyperparameters(np.array(best[:d]), log_scale, float(best[d + 1]), strength)
    return Hyperparameters.from_vector(best)
