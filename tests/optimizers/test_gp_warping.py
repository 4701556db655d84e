from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from studies.optimizers import SearchSpace
from studies.optimizers.gp.kernel import sq_differences
from studies.optimizers.gp.model import build_surrogate
from studies.optimizers.gp.regressor import neg_log_posterior, neg_log_posterior_warped
from studies.optimizers.gp.warping import OutputWarp

SQUARE = SearchSpace.from_dict(
    {"x": {"type": "float", "low": 0, "high": 1}, "y": {"type": "float", "low": 0, "high": 1}}
)


def fitted_strength(loss_of_bowl, seed: int) -> float:
    X = np.random.default_rng(seed).random((30, 2))
    losses = loss_of_bowl(np.sum((X - 0.3) ** 2, axis=1))
    history = [({"x": a, "y": b}, v) for (a, b), v in zip(X, losses, strict=True)]
    return build_surrogate(SQUARE, history, "minimize", np.random.default_rng(0)).warp.strength


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_smooth_bowl_keeps_its_worse_half_nearly_linear_and_a_heavy_tail_is_compressed(seed):
    assert fitted_strength(lambda bowl: bowl, seed) > 0.5
    assert fitted_strength(lambda bowl: np.expm1(12 * bowl), seed) < 0.1


@pytest.mark.parametrize("strength", [0.0, 1e-6, 0.4, 1.0])
def test_the_warp_round_trips_at_every_strength_and_keeps_the_better_half_linear(strength):
    losses = np.array([0.1, 0.2, 0.15, 5.0, 300.0, np.nan, 0.12, 1e5])
    warp = OutputWarp(losses).with_strength(strength)
    targets = warp.forward(losses)
    finite = np.isfinite(losses)
    np.testing.assert_allclose(warp.inverse(targets[finite]), losses[finite], rtol=1e-8)
    assert targets[5] == targets.max()
    log1p = OutputWarp(losses)
    better = losses <= np.nanmedian(losses)
    np.testing.assert_allclose(np.diff(targets[better]), np.diff(log1p.forward(losses)[better]), rtol=1e-9)


def test_at_strength_one_the_worse_half_is_linear():
    losses = np.array([0.0, 1.0, 2.0, 3.0, 10.0, 100.0])
    targets = OutputWarp(losses).with_strength(1.0).forward(losses)
    np.testing.assert_allclose(np.diff(targets[2:]) / np.diff(losses[2:]), np.diff(targets[:3]).mean())


def test_the_warped_log_posterior_is_the_density_of_the_losses_with_a_matching_gradient():
    rng = np.random.default_rng(1)
    X = rng.random((25, 3))
    losses = np.exp(3 * np.sin(4 * X[:, 0])) + X[:, 1]
    losses[3] = np.nan
    warp = OutputWarp(losses)
    targets = warp.targets_by_strength(np.arange(len(losses)))
    D = sq_differences(X, np.zeros(3, dtype=bool))
    kernel = np.array([-1.0, -0.5, 0.2, 0.3, np.log(1e-3)])
    # at strength 0 it is the plain log posterior of the log1p warp's targets, up to a constant
    plain = neg_log_posterior(kernel, D, warp.forward(losses))[0]
    assert neg_log_posterior_warped(np.append(kernel, 0.0), D, targets)[0] == pytest.approx(plain, rel=1e-12)
    for strength in (1e-4, 0.4, 0.9):
        theta = np.append(kernel, strength)
        _, grad = neg_log_posterior_warped(theta, D, targets)
        numeric = optimize.approx_fprime(theta, lambda t: neg_log_posterior_warped(t, D, targets)[0], 1e-7)
        np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_the_hypervolume_models_keep_the_log1p_warp_that_values_the_fronts_ends():
    from studies.optimizers.gp.hypervolume_model import HypervolumeModel

    X = np.random.default_rng(0).random((30, 2))
    bowl = np.sum((X - 0.3) ** 2, axis=1)
    results = [{"f": float(a), "g": float(1 - a)} for a in bowl]
    objectives = [{"metric": "f", "direction": "minimize"}, {"metric": "g", "direction": "minimize"}]
    model = HypervolumeModel(SQUARE, X, results, objectives, [], np.random.default_rng(0))
    assert [m.warp.strength for m in model.models] == [0.0, 0.0]
    assert fitted_strength(lambda bowl: bowl, 0) > 0.5
