"""Plain plot data in, plotly figure dicts out: pure functions, unit-tested without a database.

`studies.plots` reads the database into the plain data these take. Every figure stays small at
10,000 trials: long series are downsampled (LTTB for values, pixel-level merging for the timeline,
a sample of curves over the worker's per-step percentiles), and floats are rounded to 6 significant digits.
Labels that come from users (parameter names, categorical choices, worker names) are HTML-escaped,
because plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

STATE_COLOURS = {
    "complete": "#1f77b4",
    "pruned": "#ff7f0e",
    "failed": "#d62728",
    "running": "#2ca02c",
    "queued": "#9467bd",
    "cancelled": "#7f7f7f",
}
MAX_POINTS = 1500  # per series, after LTTB
MAX_LINES = 1000  # parallel coordinates: WebGL lines cost seconds each thousand without a GPU
MAX_SCATTER = 2000  # slice plots and projected observations
MAX_CURVES = 200  # learning curves drawn one by one
MARGIN = {"t": 40, "r": 10, "b": 40, "l": 60}
# plotly's horizontal legend sits where the x axis title is; this puts it below, with room for it.
LEGEND_BELOW_AXIS_TITLE = {
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.25},
    "margin": {**MARGIN, "b": 110},
}


def label(text: object) -> str:
    """A user string made safe for plotly's HTML-ish text rendering."""
    return html.escape(str(text), quote=False)


def r6(value: float | None) -> float | None:
    """Round to 6 significant digits (None stays None, non-finite becomes None)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def r6_list(values: Sequence[float | None]) -> list[float | None]:
    """`r6` over a whole series, vectorized: at 10,000 trials the per-value version costs 100 ms."""
    if not len(values):
        return []
    a = np.array([np.nan if v is None else v for v in values], dtype=float)
    finite = np.isfinite(a) & (a != 0)
    scale = np.ones_like(a)
    scale[finite] = 10.0 ** (5 - np.floor(np.log10(np.abs(a[finite]))))
    rounded = np.where(finite, np.round(a * scale) / scale, a)
    return [None if v != v or v in (math.inf, -math.inf) else v for v in rounded.tolist()]


def lttb(x: Sequence[float], y: Sequence[float], threshold: int) -> list[int]:
    """Indices kept by Largest-Triangle-Three-Buckets (Steinarsson 2013); all when short enough.

    Plain Python over precomputed bucket means: buckets hold a few points each, where numpy's
    per-call overhead would cost more than the arithmetic.
    """
    n = len(x)
    if threshold >= n or threshold < 3:
        return list(range(n))
    edges = [1 + (i * (n - 2)) // (threshold - 2) for i in range(threshold - 1)]
    edges[-1] = n - 1
    means = []
    for i in range(threshold - 2):
        lo, hi = edges[i + 1], edges[i + 2] if i + 2 < len(edges) else n
        means.append((sum(x[lo:hi]) / (hi - lo), sum(y[lo:hi]) / (hi - lo)))
    keep, a = [0], 0
    for i in range(threshold - 2):
        ax, ay = x[a], y[a]
        cx, cy = means[i]
        best, best_area = edges[i], -1.0
        for j in range(edges[i], edges[i + 1]):
            area = abs((ax - cx) * (y[j] - ay) - (ax - x[j]) * (cy - ay))
            if area > best_area:
                best, best_area = j, area
        a = best
        keep.append(a)
    keep.append(n - 1)
    return keep


def best_first_sample(values: Sequence[float], direction: str, limit: int) -> list[int]:
    """Indices of at most `limit` points: the best half of the budget, then an even spread of the rest."""
    n = len(values)
    if n <= limit:
        return list(range(n))
    order = np.argsort(
        np.asarray(values, dtype=float) * (1 if direction == "minimize" else -1), kind="stable"
    )
    best = order[: limit // 2]
    rest = order[limit // 2 :]
    spread = rest[np.linspace(0, len(rest) - 1, limit - len(best)).astype(int)]
    return sorted(int(i) for i in np.concatenate([best, spread]))


def best_so_far(values: Sequence[float | None], states: Sequence[str], direction: str) -> list[float | None]:
    """The running best among complete trials (None until the first one)."""
    best, out = None, []
    better = min if direction == "minimize" else max
    for value, state in zip(values, states, strict=True):
        if state == "complete" and value is not None and math.isfinite(value):
            best = value if best is None else better(best, value)
        out.append(best)
    return out


def _layout(title: str, **extra) -> dict:
    return {
        "title": {"text": title, "font": {"size": 14}},
        "margin": MARGIN,
        "legend": {"orientation": "h"},
        **extra,
    }


def empty_figure(message: str) -> dict:
    """A figure that says why there is nothing to draw."""
    return {
        "data": [],
        "layout": {
            "margin": MARGIN,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": label(message),
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                }
            ],
        },
    }


# --- optimization history ------------------------------------------------------------------------


def history_figure(data: dict, x_axis: str = "number", log_y: bool = False) -> dict:
    """Values by state (complete, pruned; failed as ticks on a strip below) and the best so far."""
    xs = data["number"] if x_axis == "number" else data["finished_ms"]
    states, values = data["state"], data["value"]
    traces = []
    for state, symbol in (("complete", "circle"), ("pruned", "triangle-down-open")):
        idx = [i for i, s in enumerate(states) if s == state and values[i] is not None and xs[i] is not None]
        kept = [idx[k] for k in lttb([xs[i] for i in idx], [values[i] for i in idx], MAX_POINTS)]
        if kept:
            traces.append(
                {
                    "type": "scattergl",
                    "mode": "markers",
                    "name": state,
                    "x": [xs[i] for i in kept],
                    "y": r6_list([values[i] for i in kept]),
                    "marker": {"color": STATE_COLOURS[state], "size": 5, "symbol": symbol},
                }
            )
    failed = [xs[i] for i, s in enumerate(states) if s == "failed" and xs[i] is not None]
    if failed:
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": "failed (no value)",
                "x": failed[:: max(1, len(failed) // MAX_POINTS)],
                "y": [0] * len(failed[:: max(1, len(failed) // MAX_POINTS)]),
                "yaxis": "y2",
                "marker": {"color": STATE_COLOURS["failed"], "size": 8, "symbol": "line-ns-open"},
            }
        )
    best = best_so_far(values, states, data["direction"])
    bx, by = (
        [x for x, b in zip(xs, best, strict=True) if x is not None],
        [b for x, b in zip(xs, best, strict=True) if x is not None],
    )
    if len(bx) > MAX_POINTS:  # a step line is exact at its change points and its last point
        keep = [i for i in range(len(by)) if i == 0 or i == len(by) - 1 or by[i] != by[i - 1]]
        bx, by = [bx[i] for i in keep], [by[i] for i in keep]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "best so far",
            "line": {"shape": "hv", "color": "#111"},
            "x": bx,
            "y": r6_list(by),
        }
    )
    return {
        "data": traces,
        "layout": _layout(
            "",
            xaxis={
                "title": {"text": "trial" if x_axis == "number" else "finished at"},
                "type": "linear" if x_axis == "number" else "date",
            },
            yaxis={
                "title": {"text": label(data["metric"])},
                "type": "log" if log_y else "linear",
                "domain": [0.1, 1],
            },
            yaxis2={"domain": [0, 0.05], "visible": False, "fixedrange": True},
        ),
    }


def history_table(data: dict) -> tuple[list[str], list[list]]:
    best = best_so_far(data["value"], data["state"], data["direction"])
    rows = zip(data["number"], data["state"], data["value"], best, map(iso, data["finished_ms"]), strict=True)
    return ["number", "state", "value", "best_so_far", "finished"], [list(r) for r in rows]


# --- parameters: parallel coordinates and slices --------------------------------------------------


def _axis_values(spec: dict, values: list) -> tuple[list, dict]:
    """Plot coordinates for one parameter and the axis settings that label them."""
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
            **_layout(title, margin={"t": 100, "r": 40, "b": 30, "l": 60}),
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
    traces, layout = [], _layout("", showlegend=False, height=max(300, 260 * rows))
    gap = 0.08
    for k, name in enumerate(names):
        spec = data["space"][name]
        row, col = divmod(k, cols)
        suffix = "" if k == 0 else str(k + 1)
        x_dom = [col / cols + gap / 2, (col + 1) / cols - gap / 2]
        y_dom = [1 - (row + 1) / rows + gap, 1 - row / rows - gap / 4]
        xs = [data["params"][name][i] for i in chosen]
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": label(name),
                "x": [label(v) for v in xs] if spec["type"] == "categorical" else r6_list(xs),
                "y": r6_list([data["value"][i] for i in chosen]),
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "marker": {
                    "size": 4,
                    "color": [data["number"][i] for i in chosen],
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
        "layout": _layout(
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
        "layout": _layout(
            "",
            xaxis={"type": "date", "title": {"text": "time"}},
            yaxis={"type": "category", "categoryarray": [label(w) for w in workers], "automargin": True},
            height=max(250, 60 + 30 * len(workers)),
        ),
    }


def iso(ms: float | None) -> str | None:
    """Epoch milliseconds (as the plots carry times) back to ISO 8601 for the CSV files."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


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
    traces = []
    band = data["band"]
    if band and band["step"]:
        line = {"type": "scatter", "mode": "lines", "x": band["step"], "line": {"width": 0}}
        traces += [
            {
                **line,
                "name": "90th percentile",
                "y": r6_list(band["p90"]),
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                **line,
                "name": f"10–90 % of all trials (as of {band['n_trials']})",
                "y": r6_list(band["p10"]),
                "fill": "tonexty",
                "fillcolor": "rgba(31,119,180,0.12)",
            },
            {
                **line,
                "name": "median of all trials",
                "y": r6_list(band["median"]),
                "line": {"color": "#111", "dash": "dot"},
            },
        ]
    for state in ("complete", "pruned", "running", "failed"):
        curves = [c for c in data["curves"] if c["state"] == state]
        xs, ys, end_x, end_y = [], [], [], []
        for c in curves:
            keep = lttb(c["step"], c["value"], 50)
            xs += [c["step"][i] for i in keep] + [None]
            ys += r6_list([c["value"][i] for i in keep]) + [None]
            end_x.append(c["step"][-1])
            end_y.append(r6(c["value"][-1]))
        if not curves:
            continue
        colour = STATE_COLOURS[state]
        traces.append(
            {
                "type": "scattergl",
                "mode": "lines",
                "name": f"{state} ({len(curves)} shown)",
                "x": xs,
                "y": ys,
                "line": {"color": colour, "width": 1},
                "opacity": 0.5,
            }
        )
        if state == "pruned":
            traces.append(
                {
                    "type": "scattergl",
                    "mode": "markers",
                    "name": "pruned here",
                    "x": end_x,
                    "y": end_y,
                    "marker": {"color": colour, "symbol": "x", "size": 7},
                }
            )
    shown = len(data["curves"])
    title = f"{shown} of {data['n_curves']} curves drawn" if shown < data["n_curves"] else f"{shown} curves"
    return {
        "data": traces,
        "layout": _layout(
            title,
            xaxis={
                "title": {"text": "step"},
                **integer_ticks([s for c in data["curves"] for s in c["step"]]),
            },
            yaxis={"title": {"text": label(data["metric"])}, "type": "log" if log_y else "linear"},
            **LEGEND_BELOW_AXIS_TITLE,
        ),
    }


def curves_table(data: dict) -> tuple[list[str], list[list]]:
    rows = [
        [c["number"], c["state"], s, v]
        for c in data["curves"]
        for s, v in zip(c["step"], c["value"], strict=True)
    ]
    return ["number", "state", "step", "value"], rows


def curve_figure(points: list[tuple[int, float]], metric: str) -> dict:
    """One trial's learning curve (the trial page), from its current attempt's (step, value) points."""
    if not points:
        return empty_figure("No steps reported yet.")
    steps, values = (list(column) for column in zip(*points, strict=True))
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "x": steps, "y": values, "name": label(metric)}
        ],
        "layout": {
            "margin": {"t": 20, "r": 10, "b": 40, "l": 60},
            "xaxis": {"title": {"text": "step"}, **integer_ticks(steps)},
            "yaxis": {"title": {"text": label(metric)}},
        },
    }


def integer_ticks(steps: list[int]) -> dict:
    """Axis settings that label whole steps only: plotly would put ticks at 0.5 over a short range."""
    span = max(steps, default=0) - min(steps, default=0)
    return {"tickformat": "d", **({"dtick": 1} if span <= 10 else {})}
