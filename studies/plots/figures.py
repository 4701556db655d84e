"""The study page's figures: plain plot data in, plotly figure dicts out, pure functions unit-tested
without a database.

`studies.plots.data` reads the database into the plain data these take. Every figure stays small at
10,000 trials: long series are downsampled (LTTB for values, pixel-level merging for the timeline,
a sample of curves over the worker's per-step percentiles), and floats are rounded to 6 significant digits.
"""

from __future__ import annotations

import math

import numpy as np

from studies.exports import iso
from studies.plots.parts import (
    INFEASIBLE_MARKER,
    LEGEND_BELOW_AXIS_TITLE,
    MAX_LINES,
    MAX_POINTS,
    MAX_SCATTER,
    STATE_COLOURS,
    band,
    base_layout,
    best_first_sample,
    best_so_far,
    empty_figure,
    label,
    lttb,
    r6,
    r6_list,
    trial_axis,
)

# --- optimization history ------------------------------------------------------------------------


HISTORY_MARKERS = {
    "complete": {"color": STATE_COLOURS["complete"], "size": 5, "symbol": "circle"},
    "infeasible": INFEASIBLE_MARKER,
    "pruned": {"color": STATE_COLOURS["pruned"], "size": 5, "symbol": "triangle-down-open"},
}


def history_figure(data: dict, x_axis: str = "number", log_y: bool = False) -> dict:
    """Values by state (complete, pruned; complete ones that break a constraint apart, as crosses, out
    of the best so far as they are out of the study's best; failed as ticks on a strip below) and the
    best so far."""
    xs = data["number"] if x_axis == "number" else data["finished_ms"]
    states, values, feasible = data["state"], data["value"], data.get("feasible")
    shown = [
        "infeasible" if s == "complete" and ok is False else s
        for s, ok in zip(states, feasible or [None] * len(states), strict=True)
    ]
    traces = []
    for group in HISTORY_MARKERS:
        traces += _valued_markers(xs, shown, values, group)
    traces += _failed_strip([xs[i] for i, s in enumerate(states) if s == "failed" and xs[i] is not None])
    best = best_so_far(values, states, data["direction"], feasible)
    if any(b is not None for b in best):  # no complete trial: no line, and no legend entry for one
        traces.append(_best_line(xs, best))
    return {
        "data": traces,
        "layout": base_layout(
            "",
            xaxis=trial_axis(xs)
            if x_axis == "number"
            else {"title": {"text": "finished at"}, "type": "date"},
            yaxis={
                "title": {"text": label(data["metric"])},
                "type": "log" if log_y else "linear",
                "domain": [0.1, 1],
            },
            yaxis2={"domain": [0, 0.05], "visible": False, "fixedrange": True},
            showlegend=True,  # plotly hides a lone trace's legend: failed ticks alone would be unexplained
        ),
    }


def _valued_markers(xs: list, groups: list, values: list, group: str) -> list[dict]:
    """The trials of `group` (a state, or "infeasible") that have a value, downsampled by LTTB; no
    trace when there are none."""
    idx = [i for i, g in enumerate(groups) if g == group and values[i] is not None and xs[i] is not None]
    kept = [idx[k] for k in lttb([xs[i] for i in idx], [values[i] for i in idx], MAX_POINTS)]
    if not kept:
        return []
    marker = HISTORY_MARKERS[group]
    x, y = [xs[i] for i in kept], r6_list([values[i] for i in kept])
    return [{"type": "scattergl", "mode": "markers", "name": group, "x": x, "y": y, "marker": marker}]


def _failed_strip(failed: list) -> list[dict]:
    """Failed trials have no value: ticks on a thin strip under the plot."""
    if not failed:
        return []
    shown = failed[:: max(1, len(failed) // MAX_POINTS)]
    return [
        {
            "type": "scattergl",
            "mode": "markers",
            "name": "failed (no value)",
            "x": shown,
            "y": [0] * len(shown),
            "yaxis": "y2",
            "marker": {"color": STATE_COLOURS["failed"], "size": 8, "symbol": "line-ns-open"},
        }
    ]


def _best_line(xs: list, best: list) -> dict:
    """The best so far as a step line; past MAX_POINTS only its change points and its last point."""
    bx = [x for x, b in zip(xs, best, strict=True) if x is not None]
    by = [b for x, b in zip(xs, best, strict=True) if x is not None]
    if len(bx) > MAX_POINTS:  # a step line is exact at its change points and its last point
        keep = [i for i in range(len(by)) if i == 0 or i == len(by) - 1 or by[i] != by[i - 1]]
        bx, by = [bx[i] for i in keep], [by[i] for i in keep]
    line = {"shape": "hv", "color": "#111"}
    return {
        "type": "scatter",
        "mode": "lines",
        "name": "best so far",
        "line": line,
        "x": bx,
        "y": r6_list(by),
    }


def history_table(data: dict) -> tuple[list[str], list[list]]:
    """The history's rows; a constrained study's say whether each trial met its constraints."""
    feasible = data.get("feasible")
    best = best_so_far(data["value"], data["state"], data["direction"], feasible)
    columns = [data["number"], data["state"], data["value"], best, list(map(iso, data["finished_ms"]))]
    header = ["number", "state", "value", "best_so_far", "finished"]
    if data.get("constrained"):
        columns.append(feasible)
        header.append("feasible")
    return header, [list(row) for row in zip(*columns, strict=True)]


# --- parameters: parallel coordinates and slices --------------------------------------------------


INACTIVE = "inactive"


def _axis_values(spec: dict, values: list) -> tuple[list, dict]:
    """Plot coordinates for one parameter and the axis settings that label them; a conditional
    parameter's trials without it go on an "inactive" lane below the axis."""
    coords, axis = _own_axis_values(spec, values)
    if "when" not in spec:
        return coords, axis
    if spec["type"] == "categorical":
        return [-1 if v is None else c for v, c in zip(values, coords, strict=True)], {
            "tickvals": [-1, *axis["tickvals"]],
            "ticktext": [INACTIVE, *axis["ticktext"]],
        }
    held = [c for v, c in zip(values, coords, strict=True) if v is not None and c is not None]
    low, high = (min(held), max(held)) if held else (0.0, 1.0)
    lane = low - 0.15 * ((high - low) or 1.0)
    ticks = [r6(float(t)) for t in np.linspace(low, high, 5)] if high > low else [r6(low)]
    text = [f"{10**t:.3g}" if axis.get("log") else f"{t:.4g}" for t in ticks]
    coords = [lane if v is None else c for v, c in zip(values, coords, strict=True)]
    return coords, {
        "log": axis.get("log", False),
        "tickvals": [r6(lane), *ticks],
        "ticktext": [INACTIVE, *text],
    }


def _own_axis_values(spec: dict, values: list) -> tuple[list, dict]:
    if spec["type"] == "categorical":
        choices = [str(c) for c in spec["choices"]]
        index = {c: i for i, c in enumerate(choices)}
        return [index.get(str(v)) for v in values], {
            "tickvals": list(range(len(choices))),
            "ticktext": [label(c) for c in choices],
        }
    if spec.get("log"):
        return [r6(math.log10(v)) if v and v > 0 else None for v in values], {"log": True}
    return r6_list(values), {}


def top_fraction(data: dict, top_percent: float) -> list[int]:
    """Indices of the best `top_percent` % of complete trials (at least one)."""
    order = sorted(
        range(len(data["value"])), key=lambda i: data["value"][i], reverse=data["direction"] == "maximize"
    )
    return sorted(order[: max(1, math.ceil(len(order) * top_percent / 100))]) if order else []


def parallel_figure(data: dict, top_percent: float = 100.0) -> dict:
    """One line per complete trial across every parameter and the objective, coloured by value."""
    chosen = top_fraction(data, top_percent)
    if not chosen:
        return empty_figure("No complete trials yet.")
    values = [data["value"][i] for i in chosen]
    chosen = [chosen[k] for k in best_first_sample(values, data["direction"], MAX_LINES)]
    dims = []
    for name, spec in data["space"].items():
        coords, axis = _axis_values(spec, [data["params"][name][i] for i in chosen])
        dim = {"label": label(f"log10({name})" if axis.pop("log", False) else name), "values": coords}
        dims.append({**dim, **axis})
    for metric, others in data.get("other_values", {}).items():  # the other objectives' axes
        dims.append({"label": label(metric), "values": r6_list([others[i] for i in chosen])})
    values = r6_list([data["value"][i] for i in chosen])
    dims.append({"label": label(data["metric"]), "values": values})
    total = len(data["value"])
    shown = f"{len(chosen)} of {total}" if len(chosen) < total else f"all {total}"
    title = (
        f"top {top_percent:g} % of complete trials ({shown})"
        if top_percent < 100
        else f"{shown} complete trials"
    )
    return {
        "data": [
            {
                "type": "parcoords",
                "dimensions": dims,
                "line": {
                    "color": values,
                    "colorscale": "Viridis",
                    "reversescale": data["direction"] == "maximize",
                    "showscale": True,
                },
            }
        ],
        # parcoords writes its axis names above the plot: the title goes to the top of the figure
        "layout": {
            **base_layout(title, margin={"t": 100, "r": 40, "b": 30, "l": 60}),
            "title": {"text": title, "font": {"size": 14}, "y": 0.98, "yref": "container", "yanchor": "top"},
        },
    }


def params_table(data: dict) -> tuple[list[str], list[list]]:
    names = list(data["space"])
    rows = [
        [n, *(data["params"][p][i] for p in names), v]
        for i, (n, v) in enumerate(zip(data["number"], data["value"], strict=True))
    ]
    return ["number", *names, data["metric"]], rows


def slice_figure(data: dict) -> dict:
    """The objective against each parameter, one panel per parameter, coloured by trial number."""
    if not data["value"]:
        return empty_figure("No complete trials yet.")
    chosen = best_first_sample(data["value"], data["direction"], MAX_SCATTER)
    names = list(data["space"])
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    traces, layout = [], base_layout("", showlegend=False, height=max(300, 260 * rows))
    gap = 0.08
    for k, name in enumerate(names):
        spec = data["space"][name]
        row, col = divmod(k, cols)
        suffix = "" if k == 0 else str(k + 1)
        x_dom = [col / cols + gap / 2, (col + 1) / cols - gap / 2]
        y_dom = [1 - (row + 1) / rows + gap, 1 - row / rows - gap / 4]
        held = [
            i for i in chosen if data["params"][name][i] is not None
        ]  # trials without it: not on its panel
        xs = [data["params"][name][i] for i in held]
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": label(name),
                "x": [label(v) for v in xs] if spec["type"] == "categorical" else r6_list(xs),
                "y": r6_list([data["value"][i] for i in held]),
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "marker": {
                    "size": 4,
                    "color": [data["number"][i] for i in held],
                    "colorscale": "Blues",
                    "opacity": 0.7,
                },
            }
        )
        x_axis = {"domain": x_dom, "anchor": f"y{suffix}", "title": {"text": label(name)}}
        if spec["type"] == "categorical":
            x_axis.update(type="category", categoryarray=[label(c) for c in spec["choices"]])
        elif spec.get("log"):
            x_axis["type"] = "log"
        layout[f"xaxis{suffix}"] = x_axis
        layout[f"yaxis{suffix}"] = {
            "domain": y_dom,
            "anchor": f"x{suffix}",
            "title": {"text": label(data["metric"]) if col == 0 else ""},
        }
    return {"data": traces, "layout": layout}


# --- distribution, timeline, curves --------------------------------------------------------------


def edf_figure(data: dict) -> dict:
    """The empirical distribution of complete trials' values: the share of trials at or below each."""
    values = sorted(v for v in data["value"] if v is not None)
    if not values:
        return empty_figure("No complete trials yet.")
    n = len(values)
    idx = sorted(set(np.linspace(0, n - 1, min(n, MAX_POINTS)).astype(int).tolist()))
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "complete trials",
                "line": {"shape": "hv"},
                "x": r6_list([values[i] for i in idx]),
                "y": [r6((i + 1) / n) for i in idx],
            }
        ],
        "layout": base_layout(
            f"{n} complete trials",
            xaxis={"title": {"text": label(data["metric"])}},
            yaxis={"title": {"text": "fraction of trials ≤ value"}, "range": [0, 1.02]},
        ),
    }


def edf_table(data: dict) -> tuple[list[str], list[list]]:
    values = sorted(v for v in data["value"] if v is not None)
    return ["value", "fraction"], [[v, (i + 1) / len(values)] for i, v in enumerate(values)]


def merge_segments(segments: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Join sorted (start, end) segments closer than `min_gap`: finer than a pixel is not drawn anyway."""
    merged: list[list[float]] = []
    for start, end in sorted(segments):
        if merged and start - merged[-1][1] <= min_gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def timeline_figure(data: dict) -> dict:
    """A bar per trial from start to finish on its worker's row, coloured by state."""
    rows = [r for r in data["trials"] if r["started_ms"] is not None]
    if not rows:
        return empty_figure("No trial has started yet.")
    span = max(r["finished_ms"] or data["now_ms"] for r in rows) - min(r["started_ms"] for r in rows)
    workers = sorted({r["worker"] for r in rows})
    traces = []
    for state, colour in STATE_COLOURS.items():
        xs, ys = [], []
        for worker in workers:
            segments = [
                (r["started_ms"], r["finished_ms"] or data["now_ms"])
                for r in rows
                if r["state"] == state and r["worker"] == worker
            ]
            for start, end in merge_segments(segments, span / 2000):
                xs += [start, end, None]
                ys += [label(worker)] * 2 + [None]
        if xs:
            traces.append(
                {
                    "type": "scattergl",
                    "mode": "lines",
                    "name": state,
                    "x": xs,
                    "y": ys,
                    "line": {"color": colour, "width": 10},
                }
            )
    return {
        "data": traces,
        "layout": base_layout(
            "",
            xaxis={"type": "date", "title": {"text": "time"}},
            yaxis={"type": "category", "categoryarray": [label(w) for w in workers], "automargin": True},
            height=max(250, 60 + 30 * len(workers)),
        ),
    }


def timeline_table(data: dict) -> tuple[list[str], list[list]]:
    rows = [
        [r["number"], r["worker"], r["state"], iso(r["started_ms"]), iso(r["finished_ms"])]
        for r in data["trials"]
    ]
    return ["number", "worker", "state", "started", "finished"], rows


def curves_figure(data: dict, log_y: bool = False) -> dict:
    """A sample of learning curves (pruned ones marked where they stopped) over all trials' percentiles."""
    if not data["curves"]:
        return empty_figure("No learning curves reported yet.")
    traces = _percentile_band(data["band"])
    for state in ("complete", "pruned", "running", "failed"):
        curves = [c for c in data["curves"] if c["state"] == state]
        if curves:
            traces += _state_curves(state, curves)
    shown = len(data["curves"])
    title = f"{shown} of {data['n_curves']} curves drawn" if shown < data["n_curves"] else f"{shown} curves"
    return {
        "data": traces,
        "layout": base_layout(
            title,
            xaxis={
                "title": {"text": "step"},
                **integer_ticks([s for c in data["curves"] for s in c["step"]]),
            },
            yaxis={"title": {"text": label(data["metric"])}, "type": "log" if log_y else "linear"},
            **LEGEND_BELOW_AXIS_TITLE,
        ),
    }


def _percentile_band(percentiles: dict | None) -> list[dict]:
    """The 10–90 % band and the median of every trial's curve, as the worker computed them."""
    if not percentiles or not percentiles["step"]:
        return []
    steps = percentiles["step"]
    name = f"10–90 % of all trials (as of {percentiles['n_trials']})"
    median = {
        "type": "scatter",
        "mode": "lines",
        "x": steps,
        "name": "median of all trials",
        "y": r6_list(percentiles["median"]),
        "line": {"color": "#111", "dash": "dot"},
    }
    return [*band(steps, percentiles["p10"], percentiles["p90"], name, "rgba(31,119,180,0.12)"), median]


def _state_curves(state: str, curves: list[dict]) -> list[dict]:
    """One trace for all curves of a state (gaps between them); pruned ones get a mark where they stopped."""
    xs, ys = [], []
    for c in curves:
        keep = lttb(c["step"], c["value"], 50)
        xs += [c["step"][i] for i in keep] + [None]
        ys += r6_list([c["value"][i] for i in keep]) + [None]
    colour = STATE_COLOURS[state]
    traces = [
        {
            "type": "scattergl",
            "mode": "lines",
            "name": f"{state} ({len(curves)} shown)",
            "x": xs,
            "y": ys,
            "line": {"color": colour, "width": 1},
            "opacity": 0.5,
        }
    ]
    if state == "pruned":
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": "pruned here",
                "x": [c["step"][-1] for c in curves],
                "y": [r6(c["value"][-1]) for c in curves],
                "marker": {"color": colour, "symbol": "x", "size": 7},
            }
        )
    return traces


def curves_table(data: dict) -> tuple[list[str], list[list]]:
    rows = [
        [c["number"], c["state"], s, v]
        for c in data["curves"]
        for s, v in zip(c["step"], c["value"], strict=True)
    ]
    return ["number", "state", "step", "value"], rows


def curve_figure(points: list[tuple[int, float]], metric: str, finished: bool = False) -> dict:
    """One trial's learning curve (the trial page), from its current attempt's (step, value) points;
    a finished trial without any will not report one, so its note drops the "yet"."""
    if not points:
        return empty_figure("No steps reported." if finished else "No steps reported yet.")
    steps, values = (list(column) for column in zip(*points, strict=True))
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "x": steps, "y": values, "name": label(metric)}
        ],
        "layout": {
            "margin": {"t": 20, "r": 10, "b": 40, "l": 60},
            "xaxis": {"title": {"text": "step"}, **integer_ticks(steps)},
            "yaxis": {"title": {"text": label(metric)}},
            "uirevision": "curve",  # a running trial's page draws it again: keep the reader's zoom
        },
    }


def integer_ticks(steps: list[int]) -> dict:
    """Axis settings that label whole steps only: plotly would put ticks at 0.5 over a short range."""
    span = max(steps, default=0) - min(steps, default=0)
    return {"tickformat": "d", **({"dtick": 1} if span <= 10 else {})}
