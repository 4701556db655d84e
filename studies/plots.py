"""Plots in two steps: the database turned into plain data, then plain data turned into a plotly figure.

Figure builders are pure functions of plain data, so they are unit-tested without a database and
the page hands their output to plotly.js through `json_script`.
"""

from __future__ import annotations

import math

from studies.models import Study, Trial

STATE_COLOURS = {
    "complete": "#1f77b4",
    "pruned": "#ff7f0e",
    "failed": "#d62728",
    "running": "#2ca02c",
    "queued": "#9467bd",
    "cancelled": "#7f7f7f",
}


def history_data(study: Study) -> dict:
    """Finished trials in number order: value, state, finish time (ISO)."""
    rows = (
        study.trials.filter(state__in=Trial.FINISHED)
        .order_by("number")
        .values_list("number", "value", "state", "finished")
    )
    data = {
        "direction": study.direction,
        "metric": study.metric,
        "number": [],
        "value": [],
        "state": [],
        "finished": [],
    }
    for number, value, state, finished in rows:
        data["number"].append(number)
        data["value"].append(value)
        data["state"].append(state)
        data["finished"].append(finished.isoformat() if finished else None)
    return data


def best_so_far(values: list[float | None], states: list[str], direction: str) -> list[float | None]:
    """The running best among complete trials (None until the first one)."""
    best, out = None, []
    better = min if direction == "minimize" else max
    for value, state in zip(values, states, strict=True):
        if state == "complete" and value is not None and math.isfinite(value):
            best = value if best is None else better(best, value)
        out.append(best)
    return out


def history_figure(data: dict, x_axis: str = "number", log_y: bool = False) -> dict:
    """Every value (coloured by state) and the best so far."""
    xs = data["number"] if x_axis == "number" else data["finished"]
    traces = []
    for state in ("complete", "pruned", "failed"):
        idx = [i for i, s in enumerate(data["state"]) if s == state and data["value"][i] is not None]
        if idx:
            traces.append(
                {
                    "type": "scattergl",
                    "mode": "markers",
                    "name": state,
                    "x": [xs[i] for i in idx],
                    "y": [data["value"][i] for i in idx],
                    "marker": {
                        "color": STATE_COLOURS[state],
                        "size": 6,
                        "symbol": "circle" if state == "complete" else "x",
                    },
                }
            )
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "best so far",
            "line": {"shape": "hv", "color": "#111"},
            "x": xs,
            "y": best_so_far(data["value"], data["state"], data["direction"]),
        }
    )
    return {
        "data": traces,
        "layout": {
            "margin": {"t": 30, "r": 10, "b": 40, "l": 60},
            "xaxis": {"title": {"text": "trial" if x_axis == "number" else "finished at"}},
            "yaxis": {"title": {"text": data["metric"]}, "type": "log" if log_y else "linear"},
            "legend": {"orientation": "h"},
        },
    }


def curve_figure(steps: list[int], values: list[float], metric: str) -> dict:
    return {
        "data": [{"type": "scatter", "mode": "lines+markers", "x": steps, "y": values, "name": metric}],
        "layout": {
            "margin": {"t": 20, "r": 10, "b": 40, "l": 60},
            "xaxis": {"title": {"text": "step"}},
            "yaxis": {"title": {"text": metric}},
        },
    }
