from __future__ import annotations

import json
import math

import numpy as np
import pytest

from studies.optimizers import SearchSpace, get_optimizer
from studies.optimizers.posterior import fit_surrogate, gp_sobol_importance, posterior, posterior_slices

SPACE = SearchSpace.from_dict(
    {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
        "k": {"type": "int", "low": 1, "high": 5},
        "c": {"type": "categorical", "choices": ["a", "b"]},
    }
)


def f(p):
    return (p["x"] - 0.3) ** 2 + 0.1 * (math.log10(p["lr"]) + 2) ** 2 + 0.01 * p["k"] + (p["c"] == "b")


@pytest.fixture(scope="module")
def history():
    return [(p, f(p)) for p in get_optimizer("random", SPACE, seed=0).suggest(n=30)]


def test_the_posterior_interpolates_observations_in_user_units(history):
    points = [p for p, _ in history[:5]]
    post = posterior(SPACE, history, points, "minimize")
    np.testing.assert_allclose(post["mean"], [v for _, v in history[:5]], rtol=0.05, atol=0.02)
    assert all(s >= 0 for s in post["std"])
    flipped = posterior(SPACE, [(p, -v) for p, v in history], points, "maximize")
    np.testing.assert_allclose(flipped["mean"], -np.array(post["mean"]), rtol=1e-6, atol=1e-9)


def test_fit_surrogate_reports_its_incumbent_and_acquisition(history):
    model = fit_surrogate(SPACE, history, "minimize")
    best = min(history, key=lambda h: h[1])
    assert model.incumbent == {"params": best[0], "value": best[1]} and model.n_observations == 30
    for kind in ("ei", "pi", "ucb"):
        assert np.all(np.isfinite(model.acquisition([p for p, _ in history[:3]], kind=kind)))
    with pytest.raises(ValueError, match="finite"):
        fit_surrogate(SPACE, [(history[0][0], None)], "minimize")


def test_slices_pass_through_the_incumbent_and_are_plain_lists(history):
    slices = posterior_slices(SPACE, history, "minimize", n_grid=20)
    json.dumps(slices)
    best_params, best_value = min(history, key=lambda h: h[1])
    for name, s in slices.items():
        assert len(s["x"]) == len(s["mean"]) == len(s["lower"]) == len(s["upper"]) == len(s["acquisition"])
        assert all(lo <= m <= hi for lo, m, hi in zip(s["lower"], s["mean"], s["upper"], strict=True))
        assert len(s["observations"]["x"]) == 30
        if best_params[name] in s["x"]:
            at = s["x"].index(best_params[name])
            assert abs(s["mean"][at] - best_value) < 0.05
        SPACE.parameters[SPACE.names.index(name)].validate_value(s["suggestion"])
    assert slices["c"]["x"] == ["a", "b"] and slices["k"]["x"] == [1, 2, 3, 4, 5]


def test_sobol_importance_finds_the_parameters_that_matter(history):
    importance, subtree = gp_sobol_importance(SPACE, history, "minimize", seed=0)
    assert subtree == {}  # a flat space has no parent
    assert set(importance) == set(SPACE.names)
    assert importance["c"] > importance["k"] and importance["x"] > importance["k"]
    assert all(0.0 <= v <= 1.0 for v in importance.values())
