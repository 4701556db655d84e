"""Parallel coordinates and slices of a conditional space: a trial without a parameter is missing on
its axis (an "inactive" lane), never a value."""

from __future__ import annotations

from studies.plots.figures import parallel_figure, slice_figure

DATA = {
    "space": {
        "opt": {"type": "categorical", "choices": ["sgd", "adam"]},
        "momentum": {"type": "float", "low": 0.0, "high": 1.0, "log": False, "when": {"opt": ["sgd"]}},
        "beta": {"type": "categorical", "choices": [0.9, 0.99], "when": {"opt": ["adam"]}},
    },
    "params": {"opt": ["sgd", "adam", "sgd"], "momentum": [0.5, None, 0.9], "beta": [None, 0.99, None]},
    "value": [0.3, 0.2, 0.1],
    "number": [1, 2, 3],
    "direction": "minimize",
    "metric": "loss",
}


def test_parallel_coordinates_put_trials_without_a_parameter_on_its_inactive_lane():
    dims = {d["label"]: d for d in parallel_figure(DATA)["data"][0]["dimensions"]}
    momentum, beta = dims["momentum"], dims["beta"]
    assert momentum["ticktext"][0] == beta["ticktext"][0] == "inactive"
    assert momentum["values"] == [0.5, momentum["tickvals"][0], 0.9] and momentum["tickvals"][0] < 0.5
    assert beta["values"] == [-1, 1, -1] and beta["tickvals"][0] == -1
    assert "ticktext" not in dims["opt"] or "inactive" not in dims["opt"]["ticktext"]


def test_a_slice_shows_only_the_trials_that_hold_its_parameter():
    traces = {t["name"]: t for t in slice_figure(DATA)["data"]}
    assert traces["momentum"]["x"] == [0.5, 0.9] and traces["momentum"]["y"] == [0.3, 0.1]
    assert traces["beta"]["y"] == [0.2] and traces["opt"]["y"] == [0.3, 0.2, 0.1]
