from __future__ import annotations

import math
import time

import numpy as np
import pytest

from studies.optimizers import SearchExhausted, SearchSpace, get_optimizer

SPACE = SearchSpace.from_dict(
    {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "k": {"type": "int", "low": 1, "high": 3},
        "c": {"type": "categorical", "choices": ["a", "b"]},
    }
)


def test_random_is_log_uniform_on_a_log_parameter():
    space = SearchSpace.from_dict({"lr": {"type": "float", "low": 1e-6, "high": 1.0, "log": True}})
    values = [p["lr"] for p in get_optimizer("random", space, seed=0).suggest(n=2000)]
    decades = np.histogram(np.log10(values), bins=6, range=(-6, 0))[0]
    assert decades.min() > 250


def test_random_draws_every_integer_about_equally_often():
    values = [p["k"] for p in get_optimizer("random", SPACE, seed=0).suggest(n=3000)]
    counts = np.bincount(values)[1:]
    assert counts.min() > 900


def test_random_draws_a_tree_top_down_each_choice_then_its_children_uniformly():
    # A branch's share is its parent's choice's share, whatever the branch holds below it: the "deep"
    # branch is no likelier for having more points than "flat", which holds one. One draw per seed: a
    # batch never holds the one point of "flat" twice.
    space = SearchSpace.from_dict(
        {
            "model": {"type": "categorical", "choices": ["deep", "flat"]},
            "depth": {"type": "int", "low": 1, "high": 4, "when": {"model": ["deep"]}},
            "width": {"type": "float", "low": 0.0, "high": 1.0, "when": {"depth": [3, 4]}},
        }
    )
    points = [get_optimizer("random", space, seed=seed).suggest(n=1)[0] for seed in range(2000)]
    deep = [p for p in points if p["model"] == "deep"]
    assert 900 < len(deep) < 1100 and all(p == {"model": "flat"} for p in points if p["model"] == "flat")
    assert np.bincount([p["depth"] for p in deep])[1:].min() > 200
    widths = [p["width"] for p in deep if p["depth"] >= 3]
    assert len(widths) == sum(p["depth"] >= 3 for p in deep)
    assert np.histogram(widths, bins=4, range=(0, 1))[0].min() > 90


def test_random_advances_as_trials_accumulate():
    opt = get_optimizer("random", SPACE, seed=0)
    first = opt.suggest(n=1)
    second = opt.suggest(history=[(first[0], 1.0)], n=1)
    assert first != second


@pytest.mark.parametrize("sobol", [False, True])
def test_random_depends_on_the_seed(sobol):
    a = get_optimizer("random", SPACE, seed=0, sobol=sobol).suggest(n=4)
    b = get_optimizer("random", SPACE, seed=1, sobol=sobol).suggest(n=4)
    assert a != b


def test_sobol_continues_the_sequence_across_calls():
    space = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})
    opt = get_optimizer("random", space, seed=0, sobol=True)
    one_call = opt.suggest(n=8)
    two_calls = opt.suggest(n=4) + opt.suggest(pending=opt.suggest(n=4), n=4)
    assert one_call == two_calls == opt.suggest(n=4) + opt.suggest(n=4, made=4)
    values = sorted(p["x"] for p in one_call)
    assert np.histogram(values, bins=8, range=(0, 1))[0].tolist() == [1] * 8


@pytest.mark.parametrize("sobol", [False, True])
def test_random_told_how_many_trials_were_made_draws_as_if_it_saw_them(sobol):
    opt = get_optimizer("random", SPACE, seed=0, sobol=sobol)
    seen = [(params, 1.0) for params in opt.suggest(n=3)]
    assert not opt.reads_history
    assert opt.suggest(n=2, made=3) == opt.suggest(history=seen, n=2)
    assert opt.suggest(n=1, made=500) != opt.suggest(n=1, made=501)


def test_random_reads_the_history_where_a_point_can_come_again():
    discrete = SearchSpace.from_dict({"k": {"type": "int", "low": 1, "high": 3}})
    # the "flat" branch is a single point; a continuous parameter holds only the other one
    branches = SearchSpace.from_dict(
        {
            "model": {"type": "categorical", "choices": ["deep", "flat"]},
            "width": {"type": "float", "low": 0.0, "high": 1.0, "when": {"model": ["deep"]}},
        }
    )
    assert get_optimizer("random", discrete).reads_history
    assert get_optimizer("random", branches).reads_history


def test_grid_covers_each_cell_once_then_reports_exhaustion():
    opt = get_optimizer("grid", SPACE, seed=0, grid_points=3)
    history = []
    while True:
        try:
            batch = opt.suggest(history=history, n=4)
        except SearchExhausted as exc:
            assert "fully used" in str(exc)
            break
        history += [(p, 0.0) for p in batch]
    keys = SPACE.point_keys([p for p, _ in history])
    assert len(keys) == len(set(keys)) == 3 * 3 * 2
    assert sorted({p["x"] for p, _ in history}) == [0.0, 0.5, 1.0]


def test_it_never_suggests_a_grid_point_twice_counting_pending_points():
    opt = get_optimizer("grid", SPACE, seed=1, grid_points=2)
    first = opt.suggest(n=5)
    rest = opt.suggest(history=[(first[0], 1.0)], pending=first[1:], n=10)
    assert len(rest) == 2 * 2 * 2 - 5
    assert not set(SPACE.point_keys(rest)) & set(SPACE.point_keys(first))


def test_grid_uses_the_step_of_a_stepped_parameter_and_log_spacing_where_log():
    space = SearchSpace.from_dict(
        {
            "d": {"type": "float", "low": 0.0, "high": 0.3, "step": 0.1},
            "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
        }
    )
    points = get_optimizer("grid", space, grid_points=5).suggest(n=100)
    assert len(points) == 4 * 5
    assert sorted({p["d"] for p in points}) == [0.0, 0.1, 0.2, 0.3]
    assert sorted({round(math.log10(p["lr"]), 6) for p in points}) == [-4, -3, -2, -1, 0]


def test_grid_order_is_shuffled_by_the_seed():
    a = get_optimizer("grid", SPACE, seed=0).suggest(n=30)
    b = get_optimizer("grid", SPACE, seed=1).suggest(n=30)
    assert a != b and sorted(map(str, a)) == sorted(map(str, b))


def test_grid_of_a_huge_space_still_suggests_without_enumerating_it():
    space = SearchSpace.from_dict({f"x{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(40)})
    batch = get_optimizer("grid", space, seed=0).suggest(n=3)
    assert len(batch) == 3


def test_a_grid_of_10_to_the_12_levels_suggests_at_once_and_never_repeats_a_point():
    space = SearchSpace.from_dict(
        {
            "a": {"type": "int", "low": 1, "high": 10**12, "step": 1},
            "b": {"type": "float", "low": 0.0, "high": 3_000_000.0, "step": 1.0},
            "c": {"type": "categorical", "choices": ["x", "y"]},
        }
    )
    opt = get_optimizer("grid", space, seed=3)
    history = []
    for _ in range(300):
        history += [(p, 0.0) for p in opt.suggest(history=history, n=1)]
    started = time.perf_counter()
    batch = opt.suggest(history=history, n=5)
    # About 15 ms on a quiet machine; enumerating the 6e18 cells never returned, 3e6 took 21 s.
    assert time.perf_counter() - started < 1.0
    keys = space.point_keys([p for p, _ in history] + batch)
    assert len(set(keys)) == len(keys) == 305
    for params in batch:
        space.validate_params(params)
