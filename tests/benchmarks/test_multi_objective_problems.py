"""The held-out 3-objective problems of benchmarks/multi_objective.py: their best hypervolumes agree
with fronts sampled point by point, and a front point scores (almost) no regret."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from studies.optimizers.pareto import hypervolume, pareto_mask
from tests.harness import ROOT


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mo_bench", ROOT / "benchmarks" / "multi_objective.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _front(f, x1x2: np.ndarray, rest: float) -> np.ndarray:
    points = [f({"x1": a, "x2": b, **{f"x{i}": rest for i in range(3, 7)}}) for a, b in x1x2]
    return np.array([[p["f1"], p["f2"], p["f3"]] for p in points])


def test_dtlz5s_closed_form_is_the_limit_of_its_sampled_curve(bench):
    ref = (1.1, 1.1, 1.1)
    t = np.linspace(0.0, 1.0, 301)
    sampled = hypervolume(_front(bench.dtlz5, np.column_stack([t, t]), 0.5), ref)
    assert sampled < bench._dtlz5_best_hypervolume(ref) < sampled + 2e-3


def test_dtlz7s_grid_bounds_a_sampled_front_from_above_and_closely(bench):
    ref = (1.1, 1.1, 6.6)
    grid = np.linspace(0.0, 1.0, 41)
    front = _front(bench.dtlz7, np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2), 0.0)
    sampled = hypervolume(front[pareto_mask(front)], ref)
    assert sampled < bench._dtlz7_best_hypervolume(ref) < sampled * 1.05


def test_a_point_off_the_front_counts_less_than_its_projection_on_it(bench):
    on, off = (
        bench.dtlz7({f"x{i}": v for i, v in enumerate([0.2, 0.7, 0, 0, 0, 0], 1)}),
        bench.dtlz7({f"x{i}": v for i, v in enumerate([0.2, 0.7, 0.3, 0, 0, 0], 1)}),
    )
    assert on["f3"] < off["f3"] and math.isclose(on["f1"], off["f1"])
