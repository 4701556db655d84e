"""Learning curves of several trials overlaid on one plot (the trial comparison page)."""

from __future__ import annotations

from studies.plots.figures import integer_ticks
from studies.plots.parts import LEGEND_BELOW_AXIS_TITLE, MAX_POINTS, empty_figure, label, lttb, r6_list


def _trace(name: str, points: list[tuple[int, float]]) -> dict:
    steps, values = [p[0] for p in points], [p[1] for p in points]
    keep = lttb(steps, values, MAX_POINTS)
    return {
        "type": "scatter",
        "mode": "lines+markers" if len(keep) <= 50 else "lines",
        "x": [steps[i] for i in keep],
        "y": r6_list([values[i] for i in keep]),
        "name": label(name),
    }


def overlaid_curves_figure(series: list[tuple[str, list[tuple[int, float]]]], metric: str) -> dict:
    """One line per (name, [(step, value), ...]); a trial with no points is left out of the plot."""
    traces = [_trace(name, points) for name, points in series if points]
    if not traces:
        return empty_figure("None of these trials reported a learning curve.")
    steps = [step for trace in traces for step in trace["x"]]
    layout = {
        **LEGEND_BELOW_AXIS_TITLE,
        "xaxis": {"title": {"text": "step"}, **integer_ticks(steps)},
        "yaxis": {"title": {"text": label(metric)}},
    }
    return {"data": traces, "layout": layout}
