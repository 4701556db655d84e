"""Plot data in, figure out: the pure builders behind the study page, without a database."""

from __future__ import annotations

import math

import numpy as np

from studies.plots import analysis_figures, figures, parts


def _history(n: int, states=None) -> dict:
    states = states or ["complete"] * n
    values = [None if s == "failed" else float((i * 7919) % 101) for i, s in enumerate(states)]
    return {
        "direction": "minimize",
        "metric": "loss",
        "number": list(range(1, n + 1)),
        "value": values,
        "state": states,
        "finished": [None] * n,
        "finished_ms": [1_700_000_000_000 + 1000 * i for i in range(n)],
    }


def test_lttb_keeps_the_ends_and_the_peaks_and_returns_the_threshold():
    x = list(range(10_000))
    y = [math.sin(i / 300) for i in x]
    y[5000] = 50.0
    kept = parts.lttb(x, y, 500)
    assert len(kept) == 500 and kept[0] == 0 and kept[-1] == 9999
    assert 5000 in kept
    assert kept == sorted(kept)


def test_a_long_history_is_downsampled_and_its_best_so_far_stays_exact():
    data = _history(10_000)
    figure = figures.history_figure(data)
    complete = next(t for t in figure["data"] if t["name"] == "complete")
    assert len(complete["x"]) == parts.MAX_POINTS
    best = next(t for t in figure["data"] if t["name"] == "best so far")
    assert best["y"][-1] == 0.0 and best["x"][-1] == 10_000
    assert len(best["x"]) < 20


def test_failed_and_pruned_trials_are_visible_but_distinct():
    figure = figures.history_figure(
        _history(6, ["complete", "failed", "pruned", "complete", "failed", "complete"])
    )
    names = {t["name"]: t for t in figure["data"]}
    assert names["failed (no value)"]["yaxis"] == "y2" and len(names["failed (no value)"]["x"]) == 2
    assert names["pruned"]["marker"]["symbol"] != names["complete"]["marker"]["symbol"]


def test_trials_that_break_a_constraint_are_crosses_of_their_own_and_not_the_best_so_far():
    data = {**_history(4), "value": [3.0, 1.0, 2.0, 0.5], "feasible": [True, False, True, False]}
    figure = figures.history_figure(data)
    names = {t["name"]: t for t in figure["data"]}
    assert names["complete"]["x"] == [1, 3] and names["infeasible"]["x"] == [2, 4]
    assert names["infeasible"]["marker"]["symbol"] == "x"
    assert names["infeasible"]["marker"]["color"] != names["complete"]["marker"]["color"]
    assert names["best so far"]["y"] == [3.0, 3.0, 2.0, 2.0]
    assert "infeasible" not in {t["name"] for t in figures.history_figure(_history(4))["data"]}


def test_a_short_history_ticks_whole_trial_numbers():
    assert figures.history_figure(_history(5))["layout"]["xaxis"]["dtick"] == 1  # not 1, 1.5, 2, ...
    assert "dtick" not in figures.history_figure(_history(300))["layout"]["xaxis"]  # plotly's own steps


def test_a_history_of_failed_trials_draws_no_best_so_far():
    figure = figures.history_figure(_history(3, ["failed"] * 3))
    assert [t["name"] for t in figure["data"]] == ["failed (no value)"]
    assert figure["layout"]["showlegend"], "the failed ticks keep their legend entry"


def test_history_by_time_uses_a_date_axis():
    figure = figures.history_figure(_history(5), x_axis="time", log_y=True)
    assert figure["layout"]["xaxis"]["type"] == "date" and figure["layout"]["yaxis"]["type"] == "log"


def _params(n: int) -> dict:
    rng = np.random.default_rng(0)
    lr = (10 ** rng.uniform(-5, 0, n)).tolist()
    opt = rng.choice(["sgd", "<b>adam</b>"], n).tolist()
    return {
        "direction": "minimize",
        "metric": "loss",
        "number": list(range(n)),
        "value": list(np.abs(np.log10(lr))),
        "space": {
            "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
            "opt": {"type": "categorical", "choices": ["sgd", "<b>adam</b>"]},
        },
        "params": {"lr": lr, "opt": opt},
    }


def test_parallel_coordinates_keep_the_top_percent_and_escape_user_labels():
    figure = figures.parallel_figure(_params(1000), top_percent=10)
    dims = figure["data"][0]["dimensions"]
    assert len(dims[0]["values"]) == 100
    assert dims[0]["label"] == "log10(lr)"
    assert "&lt;b&gt;adam&lt;/b&gt;" in dims[1]["ticktext"]
    assert max(dims[2]["values"]) == parts.r6(sorted(_params(1000)["value"])[99])


def test_parallel_coordinates_cap_the_lines_at_ten_thousand_trials():
    figure = figures.parallel_figure(_params(10_000))
    assert len(figure["data"][0]["line"]["color"]) == parts.MAX_LINES


def test_slices_draw_one_panel_per_parameter_on_its_own_axis_type():
    figure = figures.slice_figure(_params(50))
    assert [t["xaxis"] for t in figure["data"]] == ["x", "x2"]
    assert figure["layout"]["xaxis"]["type"] == "log" and figure["layout"]["xaxis2"]["type"] == "category"


def test_the_edf_rises_from_the_best_value_to_one():
    data = {"metric": "loss", "value": [3.0, 1.0, 2.0, 4.0]}
    trace = figures.edf_figure(data)["data"][0]
    assert trace["x"] == [1.0, 2.0, 3.0, 4.0] and trace["y"] == [0.25, 0.5, 0.75, 1.0]


def test_the_timeline_merges_bars_finer_than_a_pixel():
    assert figures.merge_segments([(0, 10), (10.5, 20), (100, 110)], 1.0) == [(0, 20), (100, 110)]
    trials = [
        {
            "number": i,
            "worker": "w1" if i % 2 else "w2",
            "state": "failed" if i == 3 else "complete",
            "started_ms": 1000 * i,
            "finished_ms": 1000 * i + 900,
        }
        for i in range(1, 5)
    ]
    figure = figures.timeline_figure({"trials": trials, "now_ms": 10_000})
    failed = next(t for t in figure["data"] if t["name"] == "failed")
    assert failed["x"] == [3000, 3900, None] and failed["y"] == ["w1", "w1", None]


def test_learning_curves_mark_where_pruned_trials_stopped():
    curves = [
        {"number": 1, "state": "complete", "step": [1, 2, 3], "value": [3.0, 2.0, 1.0]},
        {"number": 2, "state": "pruned", "step": [1], "value": [5.0]},
    ]
    data = {
        "metric": "loss",
        "curves": curves,
        "n_curves": 2,
        "band": {"step": [1, 2, 3], "p10": [3, 2, 1], "median": [4, 2, 1], "p90": [5, 2, 1], "n_trials": 2},
    }
    traces = {t["name"]: t for t in figures.curves_figure(data)["data"]}
    assert traces["pruned here"]["x"] == [1] and traces["pruned here"]["y"] == [5.0]
    assert traces["complete (1 shown)"]["y"] == [3.0, 2.0, 1.0, None]


def test_importance_shows_both_methods_with_intervals_and_the_warning():
    result = {
        "method": "ped_anova",
        "n_trials": 12,
        "warning": "Based on only 12 complete trials.",
        "params": {
            "a": {"importance": 0.8, "low": 0.6, "high": 0.9},
            "b": {"importance": 0.2, "low": 0.1, "high": 0.4},
        },
    }
    figure = analysis_figures.importance_figure(
        {"data": {"ped_anova": result, "gp": {"unavailable": "not yet"}}, "n_trials": 12, "metric": "loss"},
        {},
    )
    bar = figure["data"][0]
    assert bar["y"] == ["b", "a"] and bar["error_x"]["array"] == [0.2, 0.1]
    notes = " ".join(a["text"] for a in figure["layout"]["annotations"])
    assert "12 complete trials" in notes and "not yet" in notes


def test_the_posterior_slice_draws_mean_band_observations_acquisition_and_the_next_point():
    s = {
        "x": [0.0, 0.5, 1.0],
        "mean": [1.0, 0.5, 1.0],
        "lower": [0.8, 0.4, 0.8],
        "upper": [1.2, 0.6, 1.2],
        "acquisition": [0.1, 0.9, 0.1],
        "observations": {"x": [0.5], "value": [0.5]},
        "suggestion": 0.5,
    }
    figure = analysis_figures.posterior_figure(
        {
            "data": {"slices": {"x<1>": s}, "acquisition": "ucb"},
            "n_trials": 3,
            "metric": "loss",
            "optimizer": "gp",
            "suggests": True,
        },
        {},
    )
    names = [t.get("name") for t in figure["data"]]
    assert {
        "±2σ",
        "posterior mean",
        "observations (projected)",
        "UCB",
        "next suggestion",
    } <= set(names)
    assert figure["layout"]["xaxis"]["title"]["text"] == "x&lt;1&gt;"
    assert next(t for t in figure["data"] if t.get("name") == "UCB")["yaxis"] == "y2"


def test_analysis_figures_say_why_they_are_empty():
    for build in (
        analysis_figures.importance_figure,
        analysis_figures.posterior_figure,
        analysis_figures.contour_figure,
    ):
        figure = build({"data": None, "n_trials": 0, "metric": "loss"}, {})
        assert figure["data"] == [] and "Not computed yet" in figure["layout"]["annotations"][0]["text"]
    figure = analysis_figures.contour_figure(
        {"data": {"unavailable": "helpers missing"}, "n_trials": 4, "metric": "loss"}, {}
    )
    assert figure["layout"]["annotations"][0]["text"] == "helpers missing"


def test_the_contour_draws_the_chosen_pair_either_way_round_and_refuses_others():
    stored = {
        "params": ["a", "b"],
        "direction": "minimize",
        "grids": {
            "a": {"values": [0.0, 1.0], "categorical": False, "log": False},
            "b": {"values": ["u", "v", "w"], "categorical": True, "log": False},
        },
        "mean": {"a": {"b": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]}},
        "points": {"a": [0.5], "b": ["v"]},
    }
    analysis = {"data": stored, "n_trials": 1, "metric": "loss"}
    default = analysis_figures.contour_figure(analysis, {})["data"][0]
    assert default["x"] == [0.0, 1.0] and default["y"] == ["u", "v", "w"]
    swapped = analysis_figures.contour_figure(analysis, {"x_param": "b", "y_param": "a"})["data"][0]
    assert swapped["x"] == ["u", "v", "w"] and swapped["z"] == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]
    refused = analysis_figures.contour_figure(analysis, {"x_param": "a", "y_param": "a"})
    assert "Pick two different parameters" in refused["layout"]["annotations"][0]["text"]


def test_plotted_values_keep_six_digits_at_the_ends_of_the_float_range():
    """A loss of 1e-310 (a subnormal) or 1.5e308 is drawn, rounded like any other, not dropped."""
    values = [1.23456789e-310, 5e-324, 1.23456789e308, -2.5e-305, 0.0, None, float("nan"), 3.14159265]
    rounded = parts.r6_list(values)
    assert rounded == [parts.r6(v) if v is not None else None for v in values]
    assert rounded[:5] == [1.23457e-310, 5e-324, 1.23457e308, -2.5e-305, 0.0]
