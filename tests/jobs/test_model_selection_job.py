"""digits_models: each model of the tree trains on its own parameters and reports a log loss that tells
a good model from a poor one."""

from __future__ import annotations

import math

from studies.jobs import registry
from studies.jobs.model_selection import SPACE
from studies.optimizers import SearchSpace

GOOD = [
    {"model": "svm", "svm_C": 10.0, "svm_gamma": 0.05, "svm_kernel": "rbf"},
    {"model": "svm", "svm_C": 1.0, "svm_gamma": 0.05, "svm_kernel": "poly", "svm_degree": 3},
    {"model": "hgb", "hgb_learning_rate": 0.2, "hgb_max_depth": 4, "hgb_max_leaf_nodes": 16, "hgb_l2": 0.01},
    {"model": "mlp", "mlp_units": 64, "mlp_alpha": 1e-4, "mlp_lr": 0.01},
]


def test_each_branch_trains_on_exactly_its_parameters_and_a_poor_model_scores_worse():
    job, space = registry()["digits_models"], SearchSpace.from_dict(SPACE)
    settings = job.validate_settings({})
    losses = []
    for params in GOOD:
        space.validate_params(params)
        losses.append(job.fn(params, settings, None))
    assert all(math.isfinite(v) and 0 < v < 0.6 for v in losses), losses
    poor = {"model": "mlp", "mlp_units": 8, "mlp_alpha": 1.0, "mlp_lr": 1e-4}  # tiny, over-regularized, slow
    assert job.fn(poor, settings, None) > max(losses)
    assert job.fn(GOOD[0], settings, None) == losses[0], "deterministic for a data seed"
