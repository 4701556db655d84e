"""Which trial "gp" recommends: on a noisy objective the lowest observation is often a lucky draw.

With the fitted noise above `NOISY` the recommendation is the trial with the best posterior mean, the
GP's estimate of the noiseless value there; below it the model interpolates the observations and the
lowest observed value is the same trial without the rounding of a refit.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import Recommendation
from .model import NOISY, SurrogateModel


def posterior_best(model: SurrogateModel, sign: float = 1.0) -> Recommendation:
    """The recommended trial among the model's observations; `sign` -1 shows values as maximized."""
    finite = np.flatnonzero(np.isfinite(model.losses))
    lowest = int(finite[np.argmin(model.losses[finite])])
    if model.gp.noise <= NOISY:
        return Recommendation(lowest, "the best observed value (the model finds no measurable noise)")
    mean = model.gp.predict_mean(model.X_obs[finite])
    best = int(finite[np.argmin(mean)])
    estimate, _ = model.to_loss(mean[np.argmin(mean)][None], np.zeros(1))
    _, noise = model.to_loss(mean[np.argmin(mean)][None], np.array([math.sqrt(model.gp.noise)]))
    why = (
        f"the best posterior mean among {len(finite)} trials ({sign * estimate[0]:.6g}); "
        f"the model estimates a noise of about {noise[0]:.3g} per measurement"
    )
    if best != lowest:
        why += ", so the lowest observed value is likely a lucky draw"
    return Recommendation(best, why)
