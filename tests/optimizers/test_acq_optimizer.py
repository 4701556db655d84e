"""The acquisition's local search: preconditioned by the GP's lengthscales in large spaces only."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers import SearchSpace
from studies.optimizers.gp.acq_optimizer import PRECONDITION_MIN_DIMS, AcquisitionMaximizer


def _ill_conditioned(d: int, calls: list[int]):
    """A concave acquisition whose curvature per dimension spans 1e4, like an ARD posterior's
    (lengthscales 0.05 to 5), with its maximum at `centre`."""
    lengthscales = np.geomspace(0.05, 5.0, d)
    centre = np.linspace(0.3, 0.7, d)

    def value(X: np.ndarray) -> np.ndarray:
        return -np.sum(((X - centre) / lengthscales) ** 2, axis=1)

    def value_and_grad(X: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls[0] += 1
        return value(X), (-2.0 * (X - centre) / lengthscales**2)[:, dims]

    return lengthscales, centre, value, value_and_grad


def _space(d: int) -> SearchSpace:
    return SearchSpace.from_dict({f"x{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(d)})


def test_in_a_large_space_the_lengthscales_precondition_the_descent():
    d = 30
    results = {}
    for use in (False, True):
        calls = [0]
        lengthscales, centre, value, value_and_grad = _ill_conditioned(d, calls)
        maximizer = AcquisitionMaximizer(_space(d), value, value_and_grad, 20, lengthscales if use else None)
        _, v, _ = maximizer.maximize(np.full((1, d), 0.5), set(), np.random.default_rng(0))
        results[use] = calls[0], v
    (plain_calls, plain_value), (scaled_calls, scaled_value) = results[False], results[True]
    assert scaled_value >= plain_value - 1e-6
    assert scaled_value > -1e-6  # the maximum, 0, is reached
    assert scaled_calls < plain_calls / 2


@pytest.mark.parametrize("d", [2, PRECONDITION_MIN_DIMS - 1])
def test_small_spaces_ignore_the_lengthscales_and_keep_their_points(d):
    found = []
    for lengthscales in (None, np.geomspace(0.05, 5.0, d)):
        _, _, value, value_and_grad = _ill_conditioned(d, [0])
        maximizer = AcquisitionMaximizer(_space(d), value, value_and_grad, 20, lengthscales)
        found.append(maximizer.maximize(np.full((1, d), 0.5), set(), np.random.default_rng(0)).point)
    np.testing.assert_array_equal(found[0], found[1])
