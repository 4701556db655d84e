"""The optimizer contract on conditional spaces: random trees to depth 3 with ints, logs, steps and
categoricals under conditions; every suggestion holds exactly its active parameters."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers import OPTIMIZERS, SearchExhausted, SearchSpace, get_optimizer
from studies.optimizers.cells import grid_size
from tests.optimizers.checks import assert_plain_point

LEAVES = [
    {"type": "float", "low": -1.0, "high": 1.0},
    {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1},
    {"type": "int", "low": 1, "high": 6},
    {"type": "int", "low": 4, "high": 256, "log": True},
    {"type": "int", "low": 0, "high": 30, "step": 10},
]


def random_tree(seed: int) -> SearchSpace:
    """A root categorical, branches under its choices (an int branch too), and a third level."""
    rng = np.random.default_rng(seed)
    spec: dict = {"root": {"type": "categorical", "choices": ["a", "b", "c"]}}
    spec["depth"] = {"type": "int", "low": 1, "high": 3, "when": {"root": ["a", "b"]}}
    spec["kind"] = {"type": "categorical", "choices": [0, 1, True], "when": {"root": ["c"]}}
    parents = [("root", ["a"]), ("root", ["b", "c"]), ("depth", [2, 3]), ("kind", [0]), ("kind", [1, True])]
    for i in range(6):
        parent, values = parents[int(rng.integers(len(parents)))]
        spec[f"p{i}"] = {**LEAVES[int(rng.integers(len(LEAVES)))], "when": {parent: values}}
    spec["free"] = dict(LEAVES[int(rng.integers(len(LEAVES)))])
    return SearchSpace.from_dict(spec)


def loss(params: dict) -> float:
    return sum(float(v) if not isinstance(v, str) else 0.5 for v in params.values())


def history_of(space: SearchSpace, n: int, seed: int = 0) -> list:
    points = get_optimizer("random", space, seed=seed).suggest(n=n) if n else []
    return [(p, loss(p)) for p in points]


@pytest.fixture(params=sorted(OPTIMIZERS))
def name(request):
    return request.param


@pytest.mark.parametrize("tree_seed", [0, 1, 2])
@pytest.mark.parametrize("n_history", [0, 1, 15])
def test_every_suggestion_holds_exactly_its_active_parameters(name, tree_seed, n_history):
    space = random_tree(tree_seed)
    batch = get_optimizer(name, space, seed=3).suggest(history=history_of(space, n_history), n=4)
    assert 1 <= len(batch) <= 4
    for params in batch:
        assert_plain_point(space, params)


def test_it_never_repeats_an_evaluated_or_pending_point_on_a_tree(name):
    space = random_tree(4)
    history, pending = history_of(space, 15), [p for p, _ in history_of(space, 5, seed=8)]
    batch = get_optimizer(name, space, seed=0).suggest(history=history, pending=pending, n=4)
    keys = space.point_keys(batch)
    assert len(set(keys)) == len(keys)
    assert not set(keys) & set(space.point_keys([p for p, _ in history] + pending))


def test_the_same_seed_gives_the_same_suggestions_on_a_tree(name):
    space = random_tree(5)
    history = history_of(space, 10)
    a = get_optimizer(name, space, seed=5).suggest(history=history, n=3)
    assert a == get_optimizer(name, space, seed=5).suggest(history=history, n=3)


SMALL_TREE = SearchSpace.from_dict(
    {
        "model": {"type": "categorical", "choices": ["svm", "tree"]},
        "kernel": {"type": "categorical", "choices": ["rbf", "poly"], "when": {"model": ["svm"]}},
        "degree": {"type": "int", "low": 2, "high": 3, "when": {"kernel": ["poly"]}},
        "depth": {"type": "int", "low": 1, "high": 3, "when": {"model": ["tree"]}},
    }
)
SMALL_LEAVES = 1 + 2 + 3  # rbf; poly with degree 2 or 3; depth 1, 2 or 3


def test_each_leaf_of_a_discrete_tree_is_proposed_once_until_the_tree_is_used_up(name):
    history: list = []
    optimizer = get_optimizer(name, SMALL_TREE, seed=1)
    with pytest.raises(SearchExhausted):
        for _ in range(SMALL_LEAVES + 1):
            for params in optimizer.suggest(history=history, n=1):
                assert_plain_point(SMALL_TREE, params)
                history.append((params, loss({k: v for k, v in params.items() if k != "kernel"})))
    assert len(history) == len(set(SMALL_TREE.point_keys([p for p, _ in history]))) == SMALL_LEAVES


def test_the_grid_counts_the_leaves_of_a_tree():
    assert grid_size(SMALL_TREE) == SMALL_LEAVES


def test_the_info_of_a_suggestion_names_its_branch(name):
    [(params, info)] = get_optimizer(name, SMALL_TREE, seed=0).suggest_with_info(n=1)
    parents = [n for n in ("model", "kernel") if n in params]
    assert info["branch"] == {n: params[n] for n in parents}


def test_the_info_of_a_suggestion_holds_what_the_history_said_of_its_branch():
    history = [
        ({"model": "svm", "kernel": "rbf"}, 0.3),
        ({"model": "svm", "kernel": "poly", "degree": 2}, None),  # failed: taken, but no value
        ({"model": "tree", "depth": 3}, 0.2),
    ]
    optimizer = get_optimizer("random", SMALL_TREE, direction="maximize", seed=0)
    expected = {
        ("model", "svm"): {"took": 2, "held": 3, "best": 0.3, "best_other": 0.2},
        ("model", "tree"): {"took": 1, "held": 3, "best": 0.2, "best_other": 0.3},
        ("kernel", "rbf"): {"took": 1, "held": 2, "best": 0.3, "best_other": None},
        ("kernel", "poly"): {"took": 1, "held": 2, "best": None, "best_other": 0.3},
    }
    seen = set()
    for params, info in optimizer.suggest_with_info(history=history, n=6):
        for parent, evidence in info["branch_evidence"].items():
            assert evidence == expected[(parent, params[parent])]
            seen.add((parent, params[parent]))
    assert ("model", "svm") in seen and ("model", "tree") in seen
