"""ParEGO's scalarisation: the front, not the worst trial, sets each objective's scale."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers.scalarize import chebyshev_losses

OBJECTIVES = [{"metric": m, "direction": "minimize"} for m in ("a", "b")]


def test_a_trial_far_off_the_front_does_not_squash_the_front():
    results = [{"a": 0.0, "b": 2.0}, {"a": 1.0, "b": 1.0}, {"a": 2.0, "b": 0.0}, {"a": 1.0, "b": 100.0}]
    losses = chebyshev_losses(OBJECTIVES, results, np.array([0.0, 1.0]))
    # the front's ends differ by its whole range in b: 1 after normalisation, not 2 / 100
    assert losses[0] - losses[2] == pytest.approx(1.0 + 0.05)
    assert losses[3] > 40


def test_an_objective_where_the_front_has_one_value_takes_every_results_range():
    results = [{"a": 0.0, "b": 0.0}, {"a": 4.0, "b": 2.0}, None]
    losses = chebyshev_losses(OBJECTIVES, results, np.array([0.5, 0.5]))
    assert losses[0] == 0.0 and losses[1] == pytest.approx(0.5 + 0.05) and np.isnan(losses[2])
