"""Expected hypervolume improvement: against Monte Carlo, its gradients, and far from the front."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers.gp.ehvi import BoxDecomposition
from studies.optimizers.pareto import hypervolume, pareto_mask


def monte_carlo_ehvi(front, reference, mean, std, rng, samples=4000):
    base = hypervolume(front, reference)
    draws = mean + std * rng.standard_normal((samples, len(mean)))
    return np.mean([hypervolume(np.vstack([front, y]), reference) - base for y in draws])


@pytest.mark.parametrize("k", [2, 3])
def test_ehvi_matches_monte_carlo_for_two_and_three_objectives(k):
    rng = np.random.default_rng(k)
    points = rng.random((9, k))
    front, reference = points[pareto_mask(points)], np.full(k, 1.2)
    mean, std = rng.random((3, k)) * 0.8, 0.1 + 0.2 * rng.random((3, k))
    log_ehvi = BoxDecomposition(front, reference).log_ehvi(mean, std)
    for i in range(3):
        expected = monte_carlo_ehvi(front, reference, mean[i], std[i], rng)
        # 4,000 draws: a few per cent of standard error at these magnitudes
        assert np.exp(log_ehvi[i]) == pytest.approx(expected, rel=0.1, abs=1e-3)


def test_a_certain_point_improves_by_exactly_its_hypervolume_gain():
    front, reference = np.array([[1.0, 3.0], [3.0, 1.0]]), np.array([4.0, 4.0])
    log_ehvi = BoxDecomposition(front, reference).log_ehvi(np.array([[2.0, 2.0]]), np.full((1, 2), 1e-9))
    assert np.exp(log_ehvi[0]) == pytest.approx(1.0, rel=1e-6)  # the 1 x 1 corner at (2, 2)


@pytest.mark.parametrize("k", [2, 3])
def test_the_gradients_in_mean_and_std_match_finite_differences(k):
    rng = np.random.default_rng(10 + k)
    points = rng.random((7, k))
    boxes = BoxDecomposition(points[pareto_mask(points)], np.full(k, 1.1))
    mean, std = rng.random((4, k)), 0.05 + 0.3 * rng.random((4, k))
    value, d_mean, d_std = boxes.log_ehvi_with_grad(mean, std)
    assert boxes.log_ehvi(mean, std) == pytest.approx(value, rel=1e-12)
    step = 1e-6
    for j in range(k):
        shifted = mean.copy()
        shifted[:, j] += step
        assert (boxes.log_ehvi(shifted, std) - value) / step == pytest.approx(
            d_mean[:, j], rel=1e-3, abs=1e-4
        )
        widened = std.copy()
        widened[:, j] += step
        assert (boxes.log_ehvi(mean, widened) - value) / step == pytest.approx(
            d_std[:, j], rel=1e-3, abs=1e-4
        )


def test_far_behind_the_front_it_stays_finite_and_points_back_towards_it():
    boxes = BoxDecomposition(np.array([[0.0, 0.0]]), np.array([1.0, 1.0]))
    value, d_mean, d_std = boxes.log_ehvi_with_grad(np.array([[5.0, 5.0], [8.0, 8.0]]), np.full((2, 2), 0.1))
    assert np.all(np.isfinite(value)) and value[1] < value[0]
    assert np.all(d_mean < 0) and np.all(d_std > 0)


def test_with_no_front_yet_the_whole_box_below_the_reference_counts():
    boxes = BoxDecomposition(np.zeros((0, 2)), np.array([1.0, 1.0]))
    log_ehvi = boxes.log_ehvi(np.array([[0.0, 0.5]]), np.full((1, 2), 1e-9))
    assert np.exp(log_ehvi[0]) == pytest.approx(0.5, rel=1e-6)


def test_front_points_a_rounding_apart_leave_the_gradient_finite_and_exact():
    """Trials on an edge where an objective is 0 up to rounding (DTLZ2's x1 = 1 gives (1 + g) cos(pi / 2),
    about 6e-17 times 1 + g) make an interval about 1e-17 wide, whose factor is log 0. Its box weighs
    nothing, but 0 times its NaN slope made the whole gradient NaN and stopped the acquisition's
    descent at its start."""
    tiny = 6.123e-17
    front = np.array(
        [[tiny, 0.0, 1.0], [1.3 * tiny, 0.6, 0.7], [0.4, 0.0, 0.8], [0.5, 0.5, 0.2], [0.9, 0.3, 0.1]]
    )
    boxes = BoxDecomposition(front[pareto_mask(front)], np.full(3, 1.1))
    rng = np.random.default_rng(3)
    mean, std = rng.random((5, 3)), 0.05 + 0.3 * rng.random((5, 3))
    value, d_mean, d_std = boxes.log_ehvi_with_grad(mean, std)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(d_mean)) and np.all(np.isfinite(d_std))
    step = 1e-6
    for j in range(3):
        shifted = mean.copy()
        shifted[:, j] += step
        assert (boxes.log_ehvi(shifted, std) - value) / step == pytest.approx(
            d_mean[:, j], rel=1e-3, abs=1e-4
        )
