"""The dashboard's sweeps against the definitions in studies.optimizers.pareto: non-dominated
sorting and the hypervolume over trials, on hand-computed cases and random sets with ties."""

from __future__ import annotations

import numpy as np
import pytest

from studies.front_sort import front_ranks, hypervolume_3, hypervolume_curve, reference_point
from studies.optimizers.pareto import hypervolume, pareto_ranks


def test_ranks_of_a_hand_computed_set_with_a_duplicate():
    points = [[1.0, 4.0], [2.0, 2.0], [2.0, 2.0], [3.0, 3.0], [4.0, 1.0], [5.0, 5.0]]
    assert front_ranks(points).tolist() == [0, 0, 0, 1, 0, 2]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_ranks_agree_with_the_full_domination_matrix_on_random_sets_with_ties(k):
    rng = np.random.default_rng(k)
    for _ in range(150):
        points = rng.integers(0, 4, (int(rng.integers(1, 40)), k)).astype(float)
        assert front_ranks(points).tolist() == pareto_ranks(points).tolist()


def test_more_than_three_objectives_are_refused():
    with pytest.raises(ValueError, match="1 to 3"):
        front_ranks(np.zeros((2, 4)))


@pytest.mark.parametrize("k", [2, 3])
def test_the_curve_is_the_exact_hypervolume_of_each_prefix_where_it_grows(k):
    rng = np.random.default_rng(10 + k)
    for _ in range(40):
        points = rng.integers(0, 5, (int(rng.integers(1, 30)), k)).astype(float)
        ref = np.full(k, 4.5)
        indices, volumes = hypervolume_curve(points, ref)
        assert volumes == sorted(volumes)
        for i, volume in zip(indices, volumes, strict=True):
            assert volume == pytest.approx(hypervolume(points[: i + 1], ref))
        assert (volumes[-1] if volumes else 0.0) == pytest.approx(hypervolume(points, ref))


def test_two_objective_curve_grows_only_at_trials_that_add_volume():
    points = [[3.0, 1.0], [3.5, 3.5], [1.0, 3.0], [2.0, 2.0], [2.0, 2.0], [5.0, 0.0]]
    indices, volumes = hypervolume_curve(np.array(points), np.array([4.0, 4.0]))
    # 3: the box of (3, 1); 5: plus (1, 3)'s; 6: plus (2, 2)'s corner; the rest add nothing
    assert indices == [0, 2, 3] and volumes == pytest.approx([3.0, 5.0, 6.0])


def test_three_objective_sweep_matches_the_exact_hypervolume():
    rng = np.random.default_rng(3)
    points = rng.random((60, 3))
    assert hypervolume_3(points, np.ones(3) * 1.1) == pytest.approx(hypervolume(points, np.ones(3) * 1.1))


def test_the_reference_lies_past_the_worst_point_so_every_point_adds_volume():
    ref = reference_point(np.array([[0.0, 10.0], [2.0, 10.0]]))
    assert ref.tolist() == pytest.approx([2.2, 10.1])  # a flat objective: a range of 1
    assert reference_point(np.zeros((0, 2))) is None
