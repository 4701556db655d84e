"""Pareto ranks and hypervolume against hand-computed cases and a brute-force reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from studies.optimizers.pareto import (
    constraint_violation,
    hypervolume,
    hypervolume_contributions,
    pareto_mask,
    pareto_ranks,
)


def brute_force_hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Sum the cells of the grid cut at every coordinate whose lower corner some point dominates."""
    axes = [np.unique(np.append(points[:, j], ref[j])) for j in range(len(ref))]
    total = 0.0
    for cell in itertools.product(*(range(len(a) - 1) for a in axes)):
        low = np.array([axes[j][i] for j, i in enumerate(cell)])
        high = np.array([axes[j][i + 1] for j, i in enumerate(cell)])
        if np.any(np.all(points <= low, axis=1)):
            total += float(np.prod(high - low))
    return total


def test_two_objective_hypervolume_matches_the_hand_computed_staircase():
    points = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    # columns of widths 1, 1, 1 under heights 1, 2, 3 to the reference (4, 4)
    assert hypervolume(points, [4.0, 4.0]) == pytest.approx(6.0)


def test_dominated_duplicate_and_outside_points_add_nothing():
    base = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    extra = np.array([[2.0, 2.0], [3.0, 3.0], [5.0, 0.0], [np.nan, 0.0]])
    assert hypervolume(np.vstack([base, extra]), [4.0, 4.0]) == pytest.approx(6.0)


def test_three_objective_hypervolume_of_a_single_point_is_its_box():
    assert hypervolume(np.array([[0.5, 0.25, 0.0]]), [1.0, 1.0, 1.0]) == pytest.approx(0.5 * 0.75 * 1.0)


def test_three_objective_hypervolume_counts_the_overlap_once():
    points = np.array([[0.0, 0.0, 0.5], [0.5, 0.5, 0.0]])
    # 1*1*0.5 + 0.5*0.5*1 - overlap 0.5*0.5*0.5
    assert hypervolume(points, [1.0, 1.0, 1.0]) == pytest.approx(0.5 + 0.25 - 0.125)


def test_an_empty_set_has_no_hypervolume():
    assert hypervolume(np.zeros((0, 2)), [1.0, 1.0]) == 0.0


@pytest.mark.parametrize("k", [2, 3])
def test_hypervolume_agrees_with_brute_force_on_random_sets(k):
    rng = np.random.default_rng(k)
    for _ in range(15):
        points = np.round(rng.random((int(rng.integers(1, 9)), k)), 1)  # rounding makes ties
        ref = np.full(k, 1.05)
        assert hypervolume(points, ref) == pytest.approx(brute_force_hypervolume(points, ref))


def test_ranks_peel_fronts_and_keep_ties_together():
    losses = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 0.5], [2.0, 2.0], [3.0, 3.0], [np.nan, 0.0]])
    assert pareto_ranks(losses).tolist() == [0, 0, 0, 1, 2, 3]


def test_ranks_agree_with_pairwise_dominance_on_random_sets():
    rng = np.random.default_rng(0)
    losses = np.round(rng.random((30, 3)), 1)
    ranks = pareto_ranks(losses)
    for i, j in itertools.permutations(range(len(losses)), 2):
        if np.all(losses[i] <= losses[j]) and np.any(losses[i] < losses[j]):
            assert ranks[i] < ranks[j]
    for i in range(len(losses)):
        if ranks[i] > 0:  # something one rank better dominates it
            better = losses[ranks == ranks[i] - 1]
            assert np.any(np.all(better <= losses[i], axis=1) & np.any(better < losses[i], axis=1))


def test_feasible_points_come_before_infeasible_ones_and_smaller_violations_first():
    losses = np.array([[5.0, 5.0], [0.0, 0.0], [0.1, 0.1], [4.0, 6.0]])
    violation = np.array([0.0, 2.0, 1.0, 0.0])
    assert pareto_ranks(losses, violation).tolist() == [0, 2, 1, 0]
    assert pareto_mask(losses, violation).tolist() == [True, False, False, True]


def test_violation_sums_each_broken_bound():
    constraints = [{"metric": "memory", "max": 8.0}, {"metric": "acc", "min": 0.5, "max": 1.0}]
    assert constraint_violation({"memory": 7.0, "acc": 0.9}, constraints) == 0.0
    assert constraint_violation({"memory": 9.5, "acc": 0.25}, constraints) == pytest.approx(1.75)
    assert math.isnan(constraint_violation({"memory": 7.0}, constraints))


def test_hypervolume_contributions_are_what_each_point_alone_adds():
    points = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    # ends: 1 x 1 each; the middle point has a duplicate, the last is dominated: both add nothing
    assert hypervolume_contributions(points, [4.0, 4.0]) == pytest.approx([1.0, 0.0, 1.0, 0.0, 0.0])


def test_hypervolume_contributions_match_the_brute_force_in_three_objectives():
    rng = np.random.default_rng(5)
    points, ref = rng.random((6, 3)), np.full(3, 1.1)
    total = brute_force_hypervolume(points, ref)
    expected = [total - brute_force_hypervolume(np.delete(points, i, axis=0), ref) for i in range(6)]
    assert hypervolume_contributions(points, ref) == pytest.approx(expected, abs=1e-12)
