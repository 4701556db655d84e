"""One loss per trial from several objectives and constraints, for single-loss models (ParEGO).

Knowles (2006): each suggestion draws random weights on the simplex and scalarises the normalised
objectives with the augmented Chebyshev function, so successive suggestions aim at different parts
of the front. Constraints are modelled apart (gp/feasibility.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import pareto

_RHO = 0.05  # weight of the linear term that breaks Chebyshev's ties (Knowles's value)


def random_weights(k: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform on the simplex: (k,), non-negative, summing to 1."""
    return rng.dirichlet(np.ones(k))


def chebyshev_losses(
    objectives: Sequence[Mapping[str, Any]], results: Sequence[Any], weights: np.ndarray
) -> np.ndarray:
    """(n,) scalar losses: augmented Chebyshev of the objectives normalised so that the front of the
    finite results spans [0, 1] in each (worse trials above 1), NaN for a failed trial.

    Normalised over every result instead, a few trials far off the front squash the front to a point
    in that objective, and the scalarisation then ignores it: on DTLZ7 random trials reach f3 = 33
    while the front spans 2.6 to 6. An objective in which the front has one value takes the range of
    every result (or 1)."""
    losses = pareto.objective_losses(objectives, results)
    finite = np.all(np.isfinite(losses), axis=1)
    out = np.full(len(results), np.nan)
    if not finite.any():
        return out
    front = losses[finite][pareto.pareto_mask(losses[finite])]
    low, high = front.min(axis=0), front.max(axis=0)
    every_low, every_high = losses[finite].min(axis=0), losses[finite].max(axis=0)
    span = np.where(high > low, high - low, np.where(every_high > every_low, every_high - every_low, 1.0))
    scaled = (losses[finite] - low) / span
    out[finite] = np.max(weights * scaled, axis=1) + _RHO * scaled @ weights
    return out
