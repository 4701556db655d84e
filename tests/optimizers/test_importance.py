"""PED-ANOVA importance through its public function, on planted functions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studies.optimizers import SearchSpace
from studies.optimizers.importance import importance

SPACE = SearchSpace.from_dict(
    {
        "strong": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
        "weak": {"type": "int", "low": 1, "high": 8},
        "noise_a": {"type": "float", "low": -1.0, "high": 1.0},
        "noise_b": {"type": "categorical", "choices": ["a", "b", "c"]},
    }
)


def planted(params):
    """Depends strongly on `strong` (in log space), a little on `weak`, not at all on the rest."""
    return (math.log10(params["strong"]) + 2.0) ** 2 + 0.1 * abs(params["weak"] - 4)


def random_history(n, seed=0, objective=planted):
    rng = np.random.default_rng(seed)
    points = SPACE.decode(rng.random((n, len(SPACE))))
    return [(p, objective(p)) for p in points]


def test_the_planted_parameters_rank_first_and_second():
    result = importance(SPACE, random_history(300), "minimize")
    scores = {name: v["importance"] for name, v in result["params"].items()}
    assert sorted(scores, key=scores.get, reverse=True)[:2] == ["strong", "weak"]
    assert scores["strong"] > 0.5
    assert sum(scores.values()) == pytest.approx(1.0)
    assert result["method"] == "ped_anova" and result["n_trials"] == 300 and result["warning"] is None


def test_intervals_contain_the_estimate_and_are_reproducible():
    history = random_history(100, seed=1)
    result = importance(SPACE, history, "minimize", n_bootstrap=30, seed=3)
    for v in result["params"].values():
        assert 0.0 <= v["low"] <= v["importance"] <= v["high"] <= 1.0
    assert result == importance(SPACE, history, "minimize", n_bootstrap=30, seed=3)


def test_maximize_looks_at_the_highest_values():
    history = [(p, -v) for p, v in random_history(200, seed=2)]
    scores = importance(SPACE, history, "maximize", n_bootstrap=0)["params"]
    assert max(scores, key=lambda name: scores[name]["importance"]) == "strong"


def test_a_categorical_that_matters_is_found():
    history = random_history(200, seed=4, objective=lambda p: {"a": 0.0, "b": 1.0, "c": 2.0}[p["noise_b"]])
    scores = importance(SPACE, history, "minimize", n_bootstrap=0)["params"]
    assert max(scores, key=lambda name: scores[name]["importance"]) == "noise_b"


def test_failed_trials_are_left_out_and_few_trials_warn():
    history = random_history(12) + [
        (SPACE.decode(np.full((1, 4), 0.5))[0], value) for value in (None, math.nan)
    ]
    result = importance(SPACE, history, "minimize")
    assert result["n_trials"] == 12
    assert "12 complete trials" in result["warning"]
    assert sum(v["importance"] for v in result["params"].values()) == pytest.approx(1.0)


def test_empty_and_constant_histories_give_equal_shares():
    for history in ([], [(p, 1.0) for p, _ in random_history(30)]):
        scores = importance(SPACE, history, "minimize")["params"]
        assert [v["importance"] for v in scores.values()] == pytest.approx([0.25] * 4, abs=0.05)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError):
        importance(SPACE, [], "down")
    with pytest.raises(ValueError):
        importance(SPACE, [], "minimize", method="fanova")


def test_the_gp_importance_ranks_the_planted_parameter_first_with_an_interval_around_it():
    space = SearchSpace.from_dict({name: {"type": "float", "low": 0.0, "high": 1.0} for name in "abc"})
    rng = np.random.default_rng(1)
    history = [
        (p, 10 * (p["a"] - 0.3) ** 2 + 0.5 * p["b"])
        for p in ({"a": x, "b": y, "c": z} for x, y, z in rng.random((40, 3)))
    ]
    result = importance(space, history, "minimize", method="gp", n_bootstrap=5, seed=0)
    params = result["params"]
    assert max(params, key=lambda n: params[n]["importance"]) == "a"
    assert sum(p["importance"] for p in params.values()) == pytest.approx(1.0)
    for p in params.values():
        assert p["low"] <= p["importance"] <= p["high"]
    assert params["a"]["low"] > params["c"]["high"]
