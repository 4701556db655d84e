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
    """(n,) scalar losses: augmented Chebyshev of the objectives normalised to [0, 1] over the
    finite results, NaN for a failed trial."""
    losses = pareto.objective_losses(objectives, results)
    finite = np.all(np.isfinite(losses), axis=1)
    out = np.full(len(results), np.nan)
    if not finite.any():
        return out
    low, high = losses[finite].min(axis=0), losses[finite].max(axis=0)
    scaled = (losses[finite] - low) / np.where(high > low, high - low, 1.0)
    out[finite] = np.max(weights * scaled, axis=1) + _RHO * scaled @ weights
    return out
