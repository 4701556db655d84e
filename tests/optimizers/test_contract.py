"""The contract every registered optimizer keeps, whatever its algorithm."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from studies.optimizers import OPTIMIZERS, SearchExhausted, SearchSpace, get_optimizer
from tests.optimizers.checks import assert_plain_point

SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "layers": {"type": "int", "low": 1, "high": 8},
        "units": {"type": "int", "low": 16, "high": 1024, "log": True},
        "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1},
        "opt": {"type": "categorical", "choices": ["sgd", "adam", 3, True]},
    }
)


def objective(p):
    return (math.log10(p["lr"]) + 2) ** 2 + (p["layers"] - 3) ** 2 / 10 + p["dropout"] + (p["opt"] == "adam")


def make_history(n, seed=0, failures=()):
    if n == 0:
        return []
    points = get_optimizer("random", SPACE, seed=seed).suggest(n=n)
    return [(p, None if i in failures else objective(p)) for i, p in enumerate(points)]


@pytest.fixture(params=sorted(OPTIMIZERS))
def name(request):
    return request.param


@pytest.mark.parametrize("n_history", [0, 1, 12])
def test_suggestions_are_plain_values_inside_the_space(name, n_history):
    batch = get_optimizer(name, SPACE, seed=3).suggest(history=make_history(n_history), n=3)
    assert 1 <= len(batch) <= 3
    for params in batch:
        assert_plain_point(SPACE, params)


def test_the_same_seed_and_arguments_give_the_same_suggestions(name):
    history, pending = make_history(8), [p for p, _ in make_history(2, seed=9)]
    a = get_optimizer(name, SPACE, seed=5).suggest(history=history, pending=pending, n=2)
    b = get_optimizer(name, SPACE, seed=5).suggest(history=history, pending=pending, n=2)
    assert a == b


def test_it_never_suggests_an_evaluated_or_pending_point_nor_the_same_point_twice_in_a_batch(name):
    history, pending = make_history(12), [p for p, _ in make_history(6, seed=4)]
    batch = get_optimizer(name, SPACE, seed=0).suggest(history=history, pending=pending, n=4)
    keys = SPACE.point_keys(batch)
    assert len(set(keys)) == len(keys)
    assert not set(keys) & set(SPACE.point_keys([p for p, _ in history] + pending))


SMALL = SearchSpace.from_dict(
    {
        "k": {"type": "int", "low": 1, "high": 3},
        "c": {"type": "categorical", "choices": ["a", "b"]},
        "s": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.5},
    }
)
SMALL_POINTS = [{"k": k, "c": c, "s": s} for k, c, s in itertools.product([3, 1, 2], ["b", "a"], [0.5, 0.0])]


@pytest.mark.parametrize("n_used", [2, 7, 10, 11])
def test_while_a_discrete_space_has_unused_points_it_proposes_only_those(name, n_used):
    history = [(p, p["k"] + p["s"] + (p["c"] == "a")) for p in SMALL_POINTS[: n_used - 2]]
    pending = SMALL_POINTS[n_used - 2 : n_used]
    batch = get_optimizer(name, SMALL, seed=2).suggest(history=history, pending=pending, n=3)
    keys = SMALL.point_keys(batch)
    assert len(batch) == len(set(keys)) == min(3, len(SMALL_POINTS) - n_used)
    assert not set(keys) & set(SMALL.point_keys(SMALL_POINTS[:n_used]))


def test_a_discrete_space_with_every_point_used_is_exhausted(name):
    history = [(p, 1.0) for p in SMALL_POINTS[:9]]
    with pytest.raises(SearchExhausted):
        get_optimizer(name, SMALL, seed=2).suggest(history=history, pending=SMALL_POINTS[9:], n=1)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_failed_trials_do_not_break_it(name, direction):
    history = make_history(10, failures={0, 4})
    history[5] = (history[5][0], float("nan"))
    history[6] = (history[6][0], float("inf"))
    history[7] = (history[7][0], -float("inf"))
    for params in get_optimizer(name, SPACE, direction=direction, seed=1).suggest(history=history, n=2):
        assert_plain_point(SPACE, params)


def test_suggest_with_info_gives_json_friendly_info(name):
    import json

    result = get_optimizer(name, SPACE, seed=1).suggest_with_info(history=make_history(12), n=2)
    for params, info in result:
        assert_plain_point(SPACE, params)
        json.dumps(info)


def test_unknown_settings_and_bad_arguments_are_rejected(name):
    with pytest.raises(ValueError, match="no_such_setting"):
        get_optimizer(name, SPACE, no_such_setting=1)
    with pytest.raises(ValueError, match="direction"):
        get_optimizer(name, SPACE, direction="up")
    with pytest.raises(ValueError, match="n must be"):
        get_optimizer(name, SPACE).suggest(n=0)
    with pytest.raises(ValueError, match="made must be"):
        get_optimizer(name, SPACE).suggest(made=-1)


@pytest.mark.parametrize("space", [SPACE, SMALL])
def test_an_optimizer_that_reads_no_history_proposes_the_same_points_told_only_how_many(name, space):
    """A scheduler passes such an optimizer neither the history nor the pending points."""
    history = [(p, 1.0) for p in get_optimizer("random", space, seed=6).suggest(n=4)]
    pending = get_optimizer("random", space, seed=7).suggest(n=2)
    optimizer = get_optimizer(name, space, seed=3)
    if optimizer.reads_history:
        return
    told = optimizer.suggest_with_info(n=3, made=len(history) + len(pending))
    assert told == optimizer.suggest_with_info(history=history, pending=pending, n=3)


def test_every_setting_is_described_for_the_web_form(name):
    for setting in OPTIMIZERS[name]:
        assert setting.help, setting.name
        get_optimizer(name, SPACE, **{setting.name: setting.default})


def test_an_unknown_optimizer_is_rejected_by_name():
    with pytest.raises(ValueError, match="'simulated_annealing'"):
        get_optimizer("simulated_annealing", SPACE)


def test_a_bad_setting_value_is_rejected_naming_the_setting():
    with pytest.raises(ValueError, match="'grid_points'"):
        get_optimizer("grid", SPACE, grid_points=1)
    with pytest.raises(ValueError, match="'sobol'"):
        get_optimizer("random", SPACE, sobol="yes")


def test_a_tiny_space_fully_pending_is_reported_as_exhausted(name):
    space = SearchSpace.from_dict({"c": {"type": "categorical", "choices": ["a", "b"]}})
    pending = [{"c": "a"}, {"c": "b"}]
    with pytest.raises(SearchExhausted):
        get_optimizer(name, space).suggest(pending=pending, n=1)


def test_it_handles_a_space_of_one_parameter_and_large_batches(name):
    space = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})
    batch = get_optimizer(name, space, seed=2).suggest(history=[({"x": 0.123}, 1.0)], n=5)
    assert len(batch) == 5
    assert np.all([0.0 <= p["x"] <= 1.0 for p in batch])


@pytest.mark.parametrize("n_history", [0, 12])
def test_a_batch_of_n_gives_n_distinct_points_when_the_space_allows(name, n_history):
    batch = get_optimizer(name, SPACE, seed=6).suggest(history=make_history(n_history), n=4)
    assert len(batch) == 4
    assert len(set(SPACE.point_keys(batch))) == 4
    for params in batch:
        assert_plain_point(SPACE, params)


def test_a_history_of_only_failures_still_gives_points(name):
    history = make_history(12, failures=set(range(12)))
    for params in get_optimizer(name, SPACE, seed=2).suggest(history=history, n=2):
        assert_plain_point(SPACE, params)


def test_repeated_and_constant_results_do_not_break_it(name):
    point = make_history(1)[0][0]
    history = [(point, 1.0)] * 6 + [(p, 1.0) for p, _ in make_history(8, seed=7)]
    batch = get_optimizer(name, SPACE, seed=2).suggest(history=history, n=2)
    assert len(set(SPACE.point_keys(batch))) == len(batch) == 2
    for params in batch:
        assert_plain_point(SPACE, params)
