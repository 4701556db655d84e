"""Small pieces every figure uses: colours and size limits, rounding, downsampling, escaping user
labels, and the builders for a layout, a shaded band, a straight line and a note.

Labels that come from users (parameter names, categorical choices, worker names) are HTML-escaped,
because plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

STATE_COLOURS = {
    "complete": "#1f77b4",
    "pruned": "#ff7f0e",
    "failed": "#d62728",
    "running": "#2ca02c",
    "queued": "#9467bd",
    "cancelled": "#7f7f7f",
}
# A trial that breaks a constraint, on every plot that draws one: a cross in the trial page's "broken" red.
INFEASIBLE_MARKER = {"color": "#d62728", "size": 7, "symbol": "x"}
MAX_POINTS = 1500  # per series, after LTTB
MAX_LINES = 1000  # parallel coordinates: WebGL lines cost seconds each thousand without a GPU
MAX_SCATTER = 2000  # slice plots and projected observations
MAX_CURVES = 200  # learning curves drawn one by one
MARGIN = {"t": 40, "r": 10, "b": 40, "l": 60}
FEW_TRIALS = 10  # up to this many, a trial axis ticks every trial
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
    exponent = np.zeros_like(a)
    exponent[finite] = 5 - np.floor(np.log10(np.abs(a[finite])))
    # below about 1e-295 the scale overflows (a 1e-310 loss became None): those few go one by one
    tiny = exponent > 300
    scale = 10.0 ** np.where(finite & ~tiny, exponent, 0.0)
    rounded = np.where(finite, np.round(a * scale) / scale, a)
    rounded[tiny] = [r6(v) for v in a[tiny]]
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


def best_so_far(
    values: Sequence[float | None],
    states: Sequence[str],
    direction: str,
    feasible: Sequence[bool | None] | None = None,
) -> list[float | None]:
    """The running best among complete trials (None until the first one); with `feasible` (a trial's
    flag, None without constraints), among those that break no constraint, as the study's best is."""
    best, out = None, []
    better = min if direction == "minimize" else max
    for value, state, ok in zip(values, states, feasible or [None] * len(values), strict=True):
        if state == "complete" and ok is not False and value is not None and math.isfinite(value):
            best = value if best is None else better(best, value)
        out.append(best)
    return out


def base_layout(title: str, **extra) -> dict:
    """A titled layout with the common margins and a horizontal legend; `extra` adds or replaces keys."""
    return {
        "title": {"text": title, "font": {"size": 14}},
        "margin": MARGIN,
        "legend": {"orientation": "h"},
        **extra,
    }


def trial_axis(numbers: list) -> dict:
    """An x axis of trial numbers: whole numbers only (plotly's own ticks for five trials fall on 1.5)."""
    axis = {"title": {"text": "trial"}, "type": "linear"}
    return {**axis, "dtick": 1} if numbers and max(numbers) <= FEW_TRIALS else axis


def with_note(figure: dict, text: str) -> dict:
    """`figure` with `text` on a line of its own under its title (none: as it is)."""
    if not text or not figure.get("data"):
        return figure
    title = figure["layout"].get("title") or {"font": {"size": 14}}
    shown = f"{title.get('text') or ''}<br><sup>{label(text)}</sup>".removeprefix("<br>")
    return {**figure, "layout": {**figure["layout"], "title": {**title, "text": shown}}}


def empty_figure(message: str) -> dict:
    """A figure that says why there is nothing to draw."""
    return {
        "data": [],
        "layout": {
            "margin": MARGIN,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [note(label(message), xref="paper", yref="paper", x=0.5, y=0.5)],
        },
    }


def band(x: list, lower: list, upper: list, name: str, fillcolor: str) -> list[dict]:
    """A shaded band between two series: an invisible upper edge, then the lower one filled up to it."""
    edge = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0}}
    return [
        {**edge, "name": name, "y": r6_list(upper), "showlegend": False, "hoverinfo": "skip"},
        {**edge, "name": name, "y": r6_list(lower), "fill": "tonexty", "fillcolor": fillcolor},
    ]


def vertical_line(x: object, colour: str) -> dict:
    """A dashed line across the whole plot at `x` (a layout shape)."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": colour, "dash": "dash"},
    }


def horizontal_line(y: float, colour: str) -> dict:
    """A dashed line across the whole plot at `y` (a layout shape)."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"dash": "dash", "color": colour},
    }


def note(text: str, **position) -> dict:
    """A text annotation with no arrow; `position` places it (xref, x, y, xanchor, font...)."""
    return {"text": text, "showarrow": False, **position}


def for_objective(data: dict, metric: str) -> dict:
    """Plot data drawn for objective `metric` of a study with several (`value`, `metric` and
    `direction` become that objective's, the others are kept under `other_values`); as it is when
    the study has one objective or `metric` is empty or the first."""
    objectives = data.get("objectives") or []
    if (
        not ("value" in data or "by_objective" in data)
        or len(objectives) < 2
        or not metric
        or metric == objectives[0]["metric"]
    ):
        chosen = objectives[0] if len(objectives) > 1 else None
    else:
        chosen = next(o for o in objectives if o["metric"] == metric)
    if chosen is None:
        return data
    out = {**data, "metric": chosen["metric"], "direction": chosen["direction"]}
    if "values" in data:
        out["value"] = data["values"][chosen["metric"]]
        out["other_values"] = {m: v for m, v in data["values"].items() if m != chosen["metric"]}
    if "by_objective" in data and chosen is not objectives[0]:
        out["data"] = data["by_objective"].get(chosen["metric"])
    return out
