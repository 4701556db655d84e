"""Importance on a conditional space whose truth is known: an inactive parameter is missing, not a value,
and a parent's subtree importance carries its children's effect."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers import SearchSpace
from studies.optimizers.importance import importance

SPACE = SearchSpace.from_dict(
    {
        "model": {"type": "categorical", "choices": ["linear", "tree"]},
        "lr": {"type": "float", "low": 0.0, "high": 1.0, "when": {"model": ["linear"]}},
        "depth": {"type": "int", "low": 1, "high": 8, "when": {"model": ["tree"]}},
        "noise": {"type": "float", "low": 0.0, "high": 1.0},
    }
)


def planted(params):
    """The linear branch is good only near lr = 0.3; the tree branch is mediocre whatever its depth;
    `noise` changes nothing."""
    if params["model"] == "linear":
        return 4.0 * (params["lr"] - 0.3) ** 2
    return 0.6


def history(n, seed):
    rng = np.random.default_rng(seed)
    return [(p, planted(p)) for p in SPACE.decode(rng.random((n, len(SPACE))))]


@pytest.mark.parametrize("method, n", [("ped_anova", 300), ("gp", 60)])
def test_a_child_of_a_branch_that_does_not_matter_gets_no_importance_from_being_missing(method, n):
    # Half the trials lack `depth`; were the missing ones one value, the best trials (all linear,
    # all without depth) would pile up on it and make `depth` look decisive.
    params = importance(SPACE, history(n, seed=1), "minimize", method=method, n_bootstrap=5)["params"]
    scores = {name: v["importance"] for name, v in params.items()}
    assert scores["depth"] <= scores["noise"] + 0.01 and scores["noise"] < 0.1
    assert scores["lr"] > max(scores["depth"], scores["noise"]) + 0.2
    assert sum(scores.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("method, n", [("ped_anova", 300), ("gp", 60)])
def test_the_parents_subtree_importance_includes_its_childrens_effect(method, n):
    params = importance(SPACE, history(n, seed=2), "minimize", method=method, n_bootstrap=5)["params"]
    assert set(name for name, v in params.items() if "subtree" in v) == {"model"}
    subtree = params["model"]["subtree"]
    assert subtree >= params["model"]["importance"] + params["lr"]["importance"] - 1e-9
    assert subtree > params["noise"]["importance"] + 0.5


def test_a_child_that_matters_only_where_its_branch_is_good_outranks_one_of_a_bad_branch():
    # Both branches have a parameter that moves the value, but only the linear branch reaches the best
    # trials: the tree's `depth` shapes values no good trial has, so it ranks below `lr`.
    def objective(p):
        return planted(p) if p["model"] == "linear" else 0.6 + 0.3 * p["depth"] / 8

    rng = np.random.default_rng(3)
    trials = [(p, objective(p)) for p in SPACE.decode(rng.random((300, len(SPACE))))]
    params = importance(SPACE, trials, "minimize", n_bootstrap=0)["params"]
    assert params["lr"]["importance"] > 5 * params["depth"]["importance"]
