"""Acquisition functions of a Gaussian posterior (mean, std) for minimization, with gradients.

Each returns (value, d value / d mean, d value / d std) so the optimizer can chain through the GP.
Log EI follows Ament et al. 2023 ("Unexpected improvements to expected improvement"): computed in
log space with log_ndtr and erfcx so it stays informative (and differentiable) far from the incumbent.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import erfcx, log_ndtr


class Acquisition(NamedTuple):
    """The names of one acquisition: the `acquisition` setting's value is its key in ACQUISITIONS."""

    info_name: str  # in a suggestion's info: the GP maximizes the log of EI and PI
    short: str  # a plot trace's name
    phrase: str  # in a sentence about a suggestion
    default_xi: float  # the improvement margin when the xi setting is left blank (docs/benchmarks.md)


ACQUISITIONS = {
    "ei": Acquisition("log_ei", "log expected improvement", "expected improvement (log EI)", 0.0),
    # PI with no margin stalls beside the incumbent (branin regret 4 on 2 seeds of 10; 0.08 at most with 0.02)
    "pi": Acquisition(
        "log_pi", "log probability of improvement", "probability of improvement (log PI)", 0.02
    ),
    "ucb": Acquisition("ucb", "UCB", "the confidence bound (UCB)", 0.0),
}


def acquisition_named(name: str) -> Acquisition | None:
    """The acquisition a setting value ("ei") or a stored info name ("log_ei") means, if any."""
    return ACQUISITIONS.get(name) or next((a for a in ACQUISITIONS.values() if a.info_name == name), None)


_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2)
_HUGE_NEGATIVE_Z = -1e6


def _log_phi(z: np.ndarray) -> np.ndarray:
    return -0.5 * z**2 - _LOG_SQRT_2PI


def _log1mexp(w: np.ndarray) -> np.ndarray:
    """log(1 - exp(w)) for w < 0, accurate on both sides of -ln 2."""
    return np.where(w > -math.log(2.0), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))


def log_h(z: np.ndarray) -> np.ndarray:
    """log(z Phi(z) + phi(z)), the log of EI for unit standard deviation, stable for every z."""
    z = np.asarray(z, dtype=float)
    upper = np.maximum(z, -1.0)
    with np.errstate(divide="ignore"):
        out_upper = np.log(upper * np.exp(log_ndtr(upper)) + np.exp(_log_phi(upper)))
    lower = np.minimum(np.maximum(z, _HUGE_NEGATIVE_Z), -1.0)  # np.clip, without its dispatch
    # for z <= -1: h = phi(z) (1 - |z| Phi(z) / phi(z)), and Phi/phi = sqrt(pi/2) erfcx(-z/sqrt2)
    w = np.log(-lower) + _LOG_SQRT_PI_OVER_2 + np.log(erfcx(-lower / math.sqrt(2.0)))
    tail = np.where(z > _HUGE_NEGATIVE_Z, _log1mexp(w), -2.0 * np.log(-lower))
    return np.where(z > -1.0, out_upper, _log_phi(z) + tail)


def log_ei(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.0):
    """log E[max(best - xi - f, 0)] and its partial derivatives in mean and std."""
    z = (best - xi - mean) / std
    lh = log_h(z)
    dz = np.exp(log_ndtr(z) - lh)  # d log h / dz = Phi(z) / h(z)
    return np.log(std) + lh, -dz / std, 1.0 / std - dz * z / std


def log_pi(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.0):
    """log P(f < best - xi) and its partial derivatives in mean and std."""
    z = (best - xi - mean) / std
    lp = log_ndtr(z)
    dz = np.exp(_log_phi(z) - lp)
    return lp, -dz / std, -dz * z / std


def ucb(mean: np.ndarray, std: np.ndarray, kappa: float = 2.0):
    """-(mean - kappa std): the lower confidence bound, negated so that larger is better."""
    return -mean + kappa * std, -np.ones_like(mean), np.full_like(std, kappa)


def acquisition(kind: str, mean: np.ndarray, std: np.ndarray, best: float, xi: float, kappa: float):
    """Dispatch by name: "ei" (as log EI), "pi" (as log PI) or "ucb"."""
    if kind == "ei":
        return log_ei(mean, std, best, xi)
    if kind == "pi":
        return log_pi(mean, std, best, xi)
    if kind == "ucb":
        return ucb(mean, std, kappa)
    raise ValueError(f"unknown acquisition {kind!r}")
