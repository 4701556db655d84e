"""Figures of what a worker computed (`studies.plots.analysis`): importance, GP posterior slices, contour.

Each takes `plots.analysis_data` output ({"data", "n_trials", "metric", ...}) and the query options.
While the analysis has not run, or a helper it needs is missing, the figure says so in words.
"""

from __future__ import annotations

import math

from studies.optimizers.gp.acquisition import acquisition_named
from studies.plots.parts import (
    MARGIN,
    MAX_SCATTER,
    STATE_COLOURS,
    band,
    best_first_sample,
    empty_figure,
    label,
    r6,
    r6_list,
    vertical_line,
)

NOTE_TOP_PX, NOTE_LINE_PX = 50, 20  # importance warnings: first line's offset below the plot, spacing
NOT_YET = "Not computed yet: a worker computes this after results arrive."


def _unavailable(stored: dict | None, part: str) -> str | None:
    if stored is None:
        return NOT_YET
    section = stored.get(part) if part else stored
    if section is None:
        return NOT_YET
    return section.get("unavailable")


def importance_figure(analysis: dict, options: dict) -> dict:
    """Importance of each parameter by each method, with 95 % bootstrap intervals as error bars."""
    stored = analysis["data"]
    if stored is None:
        return empty_figure(NOT_YET)
    traces, notes = [], []
    methods = {"ped_anova": "PED-ANOVA", "gp": "GP Sobol main effects"}
    names = []
    for method, title in methods.items():
        result = stored.get(method) or {"unavailable": NOT_YET}
        if result.get("n_trials") == 0:  # PED-ANOVA of no trial splits the importance evenly: no bars
            result = {"unavailable": "no complete trial yet."}
        if "unavailable" in result:
            notes.append(f"{title}: {result['unavailable']}")
            continue
        if result.get("warning"):
            notes.append(f"{title}: {result['warning']}")
        params = result["params"]
        names = names or sorted(params, key=lambda n: params[n]["importance"])
        imp = [params[n]["importance"] for n in names]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"{title} ({result['n_trials']} trials)",
                "y": [label(n) for n in names],
                "x": r6_list(imp),
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": r6_list([_gap(params[n]["high"], params[n]["importance"]) for n in names]),
                    "arrayminus": r6_list([_gap(params[n]["importance"], params[n]["low"]) for n in names]),
                },
            }
        )
        traces.extend(_subtree_markers(title, params, names))
    if not traces:
        return empty_figure(" ".join(notes))
    annotations = [
        {
            "text": label(note),
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 0,
            "yanchor": "top",
            "yshift": -NOTE_TOP_PX - NOTE_LINE_PX * i,  # in pixels: below the axis title at any height
            "xanchor": "left",
            "font": {"color": "#a33"},
        }
        for i, note in enumerate(notes)
    ]
    return {
        "data": traces,
        "layout": {
            "margin": {**MARGIN, "b": NOTE_TOP_PX + 20 + NOTE_LINE_PX * len(notes)},
            "barmode": "group",
            "xaxis": {"title": {"text": "importance (sums to 1)"}, "rangemode": "tozero"},
            "yaxis": {"automargin": True},
            "legend": {"orientation": "h", "y": 1.15},
            "annotations": annotations,
        },
    }


def _subtree_markers(title: str, params: dict, names: list[str]) -> list[dict]:
    """A marker at each parent's importance with its children's effect (conditional spaces only)."""
    parents = [n for n in names if "subtree" in params[n]]
    if not parents:
        return []
    return [
        {
            "type": "scatter",
            "mode": "markers",
            "name": f"{title}, with its branches",
            "y": [label(n) for n in parents],
            "x": r6_list([params[n]["subtree"] for n in parents]),
            "marker": {"symbol": "diamond", "size": 10},
        }
    ]


def _gap(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def importance_table(analysis: dict) -> tuple[list[str], list[list]]:
    rows = []
    for method, result in (analysis["data"] or {}).items():
        for name, p in (result or {}).get("params", {}).items():
            row = [
                method,
                name,
                p["importance"],
                p["low"],
                p["high"],
                p.get("subtree"),
                result.get("n_trials"),
            ]
            rows.append(row)
    return ["method", "parameter", "importance", "low", "high", "with_branches", "n_trials"], rows


def _slice(stored: dict, param: str) -> tuple[str, dict] | None:
    slices = stored.get("slices") or {}
    if not slices:
        return None
    name = param if param in slices else next(iter(slices))
    return name, slices[name]


def posterior_figure(analysis: dict, options: dict) -> dict:
    """One parameter's slice through the incumbent: mean, ±2σ band, observations; for a "gp" study its
    acquisition, and its next point while it goes on. Other studies get the GP as a view of the data only."""
    stored = analysis["data"]
    message = _unavailable(stored, "")
    if message:
        return empty_figure(message)
    found = _slice(stored, options.get("param") or "")
    if found is None:
        return empty_figure("The GP could not be fitted yet (no complete trial).")
    name, s = found
    axis = (stored.get("axes") or {}).get(name, {})
    categorical = axis.get("categorical", any(isinstance(v, str) for v in s["x"]))

    def xs_of(values: list) -> list:
        return [label(v) for v in values] if categorical else r6_list(values)

    xs = xs_of(s["x"])
    traces = [
        *band(xs, s["lower"], s["upper"], "±2σ", "rgba(31,119,180,0.2)"),
        {
            "type": "scatter",
            "mode": "lines+markers" if categorical else "lines",
            "name": "posterior mean",
            "x": xs,
            "y": r6_list(s["mean"]),
            "line": {"color": STATE_COLOURS["complete"]},
        },
    ]
    traces += _observations(s.get("observations"), stored.get("direction", "minimize"), xs_of)
    own = analysis.get("optimizer") == "gp"
    named = acquisition_named(stored.get("acquisition", ""))
    kind = (named.short if named else "acquisition") if own else None
    if own:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": kind,
                "x": xs,
                "y": r6_list(s["acquisition"]),
                "yaxis": "y2",
                "line": {"color": "#2ca02c", "dash": "dot"},
            }
        )
    shapes = []
    if own and analysis.get("suggests") and s.get("suggestion") is not None:
        at = xs_of([s["suggestion"]])[0]
        shapes.append(vertical_line(at, "#d62728"))
        traces.append(_next_suggestion(s, at))
    layout = _posterior_layout(analysis["metric"], name, axis, categorical, kind, shapes)
    if not own:
        title = layout["title"]["text"]
        layout["title"]["text"] = (
            f"GP fitted for display only: {label(analysis.get('optimizer'))} does not use it; {title}"
        )
    return {"data": traces, "layout": layout}


def _observations(obs: dict | None, direction: str, xs_of) -> list[dict]:
    """The trials projected onto the slice (best first when there are too many to draw)."""
    if not obs or not obs["x"]:
        return []
    keep = best_first_sample(obs["value"], direction, MAX_SCATTER)
    return [
        {
            "type": "scattergl",
            "mode": "markers",
            "name": "observations (projected)",
            "x": xs_of([obs["x"][i] for i in keep]),
            "y": r6_list([obs["value"][i] for i in keep]),
            "marker": {"color": "#111", "size": 4, "opacity": 0.5},
        }
    ]


def _next_suggestion(s: dict, at: object) -> dict:
    """A star on the acquisition curve where the optimizer's next point lies (the nearest grid point)."""
    nxt = s["suggestion"]
    near = min(range(len(s["x"])), key=lambda i: 0 if s["x"][i] == nxt else abs(_num(s["x"][i]) - _num(nxt)))
    return {
        "type": "scatter",
        "mode": "markers",
        "name": "next suggestion",
        "yaxis": "y2",
        "x": [at],
        "y": [r6(s["acquisition"][near])],
        "marker": {"color": "#d62728", "symbol": "star", "size": 12},
    }


def _posterior_layout(
    metric: str, name: str, axis: dict, categorical: bool, kind: str | None, shapes: list
) -> dict:
    """The slice's layout; the acquisition's axis only when `kind` names the study's own acquisition."""
    x_axis = {"title": {"text": label(name)}}
    if categorical:
        x_axis["type"] = "category"
    elif axis.get("log"):
        x_axis["type"] = "log"
    layout = {
        "title": {"text": f"slice through the incumbent, {label(metric)}", "font": {"size": 14}},
        "margin": {**MARGIN, "r": 60},
        "xaxis": x_axis,
        "yaxis": {"title": {"text": label(metric)}},
        "legend": {"orientation": "h", "y": -0.2},
        "shapes": shapes,
    }
    if kind:
        layout["yaxis2"] = {"title": {"text": kind}, "overlaying": "y", "side": "right", "showgrid": False}
    return layout


def _num(value) -> float:
    return float(value) if isinstance(value, int | float) else math.inf


def posterior_table(analysis: dict) -> tuple[list[str], list[list]]:
    rows = []
    for name, s in ((analysis["data"] or {}).get("slices") or {}).items():
        acq = s.get("acquisition") or [None] * len(s["x"])
        for x, m, lo, hi, a in zip(s["x"], s["mean"], s["lower"], s["upper"], acq, strict=True):
            rows.append([name, x, m, lo, hi, a])
    return ["parameter", "x", "mean", "lower", "upper", "acquisition"], rows


def _pair(stored: dict, options: dict) -> tuple[str, str] | None:
    names = stored.get("params") or []
    if len(names) < 2:
        return None
    x = options.get("x_param") or next(n for n in names if n != options.get("y_param"))
    y = options.get("y_param") or next(n for n in names if n != x)
    return x, y


def contour_figure(analysis: dict, options: dict) -> dict:
    """The GP posterior mean over two parameters (the others at the best trial holding both), blank where
    either is inactive, with the observed trials that hold both on top."""
    stored = analysis["data"]
    message = _unavailable(stored, "")
    if message:
        return empty_figure(message)
    pair = _pair(stored, options)
    if pair is None:
        return empty_figure("A contour needs at least two parameters.")
    a, b = pair
    if a == b or a not in stored["params"] or b not in stored["params"]:
        listed = ", ".join(stored["params"])
        return empty_figure(f"Pick two different parameters among the most important ones: {listed}.")
    grid = stored["grids"]
    xa, xb = grid[a], grid[b]
    if b in stored["mean"].get(a, {}):
        z = stored["mean"][a][b]
    elif a in stored["mean"].get(b, {}):
        z = _transpose(stored["mean"][b][a])
    else:
        return empty_figure(f"No complete trial holds both {a} and {b}: they are never active together.")
    held = [
        i
        for i, (u, v) in enumerate(zip(stored["points"][a], stored["points"][b], strict=True))
        if None not in (u, v)
    ]
    traces = [
        {
            "type": "contour",
            "x": [label(v) for v in xa["values"]],
            "y": [label(v) for v in xb["values"]],
            "z": [r6_list(row) for row in z],
            "colorscale": "Viridis",
            "reversescale": stored.get("direction") == "maximize",
            "colorbar": {"title": {"text": "mean"}},
            "contours": {"coloring": "heatmap"},
            "name": "posterior mean",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "observed",
            "x": [label(v) if xa["categorical"] else r6(v) for v in (stored["points"][a][i] for i in held)],
            "y": [label(v) if xb["categorical"] else r6(v) for v in (stored["points"][b][i] for i in held)],
            "marker": {"color": "#fff", "line": {"color": "#111", "width": 1}, "size": 6},
        },
    ]

    def axis(name: str, g: dict) -> dict:
        out = {"title": {"text": label(name)}}
        if g["categorical"]:
            out["type"] = "category"
        elif g["log"]:
            out["type"] = "log"
        return out

    if not xa["categorical"]:
        traces[0]["x"] = r6_list(xa["values"])
    if not xb["categorical"]:
        traces[0]["y"] = r6_list(xb["values"])
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"GP posterior mean of {label(analysis['metric'])}", "font": {"size": 14}},
            "margin": MARGIN,
            "xaxis": axis(a, xa),
            "yaxis": axis(b, xb),
            "showlegend": False,
        },
    }


def _transpose(z: list[list]) -> list[list]:
    return [list(col) for col in zip(*z, strict=True)]


def contour_table(analysis: dict) -> tuple[list[str], list[list]]:
    stored = analysis["data"] or {}
    rows = []
    for a, inner in (stored.get("mean") or {}).items():
        for b, z in inner.items():
            for j, yv in enumerate(stored["grids"][b]["values"]):
                for i, xv in enumerate(stored["grids"][a]["values"]):
                    rows.append([a, xv, b, yv, z[j][i]])
    return ["x_param", "x", "y_param", "y", "mean"], rows
