"""The recommended trial: what a user deploys when the study ends, robust to a lucky noisy draw."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers import OPTIMIZERS, SearchSpace, get_optimizer

SPACE = SearchSpace.from_dict(
    {"x": {"type": "float", "low": 0.0, "high": 1.0}, "y": {"type": "float", "low": 0.0, "high": 1.0}}
)


def bowl(p: dict) -> float:
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2


def noisy_history(noise_sd: float, seed: int = 0, n: int = 60) -> list[tuple[dict, float]]:
    rng = np.random.default_rng(seed)
    points = [{"x": float(a), "y": float(b)} for a, b in rng.random((n, 2))]
    return [(p, bowl(p) + noise_sd * float(rng.standard_normal())) for p in points]


@pytest.mark.parametrize("seed", range(5))
def test_gp_recommends_a_trial_truly_better_than_the_lowest_noisy_one(seed):
    history = noisy_history(noise_sd=0.05, seed=seed)
    lowest = int(np.argmin([v for _, v in history]))
    rec = get_optimizer("gp", SPACE, seed=seed).recommend(history)
    true_values = [bowl(p) for p, _ in history]
    assert true_values[rec.index] <= true_values[lowest]
    # among the five truly best of 60: the posterior mean sees through noise of this size, where the
    # lowest observed value is among them on two of these five seeds
    assert true_values[rec.index] <= sorted(true_values)[4]
    assert "posterior mean" in rec.why


def test_gp_recommends_the_lowest_value_of_a_noise_free_objective():
    history = noisy_history(noise_sd=0.0)
    rec = get_optimizer("gp", SPACE).recommend(history)
    assert rec.index == int(np.argmin([v for _, v in history]))
    assert "best observed" in rec.why


def test_gp_recommendation_follows_the_direction():
    history = [(p, -v) for p, v in noisy_history(noise_sd=0.05, seed=1)]
    rec = get_optimizer("gp", SPACE, direction="maximize", seed=1).recommend(history)
    minimizing = get_optimizer("gp", SPACE, seed=1).recommend([(p, -v) for p, v in history])
    assert rec.index == minimizing.index
    assert "-" not in rec.why.split("(")[1].split(")")[0]  # the estimate is shown as maximized


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "gp"])
def test_other_optimizers_recommend_the_lowest_observed_and_skip_failures(name):
    history = [({"x": 0.1, "y": 0.1}, None), ({"x": 0.2, "y": 0.2}, 3.0), ({"x": 0.4, "y": 0.4}, 1.0)]
    rec = get_optimizer(name, SPACE).recommend(history)
    assert rec.index == 2


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_no_recommendation_without_a_finite_value(name):
    assert get_optimizer(name, SPACE).recommend([({"x": 0.1, "y": 0.1}, None)]) is None
    assert get_optimizer(name, SPACE).recommend([]) is None
