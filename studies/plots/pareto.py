"""The Pareto front of a study with several objectives: its data (one query), then its figure.

Two objectives: a scatter with the front joined in the order of the first objective; three: a matrix
of pairs. Feasible trials off the front are grey, the front is coloured, infeasible trials are
crosses drawn apart. Hovering a point shows the trial's number, objectives and parameters.
"""

from __future__ import annotations

import json

from django.db.models import TextField
from django.db.models.functions import Cast

from studies.models import Study, Trial
from studies.optimizers.pareto import objective_losses, pareto_mask, violations
from studies.plots.parts import base_layout, empty_figure, label, r6

FRONT_COLOUR = "#1f77b4"
OTHER_COLOUR = "#b0b0b0"
INFEASIBLE_COLOUR = "#d62728"


def pareto_data(study: Study) -> dict:
    """Complete trials' objective values, params, feasibility and whether each is on the front."""
    rows = list(
        study.trials.completed()
        .filter(values__isnull=False)
        .order_by("number")
        .values_list("number", Cast("values", TextField()), Cast("params", TextField()), "feasible")
    )
    # one parse per column as a JSON array: far cheaper than a json.loads per row at 10,000 trials
    values = json.loads("[" + ",".join(v for _, v, _, _ in rows) + "]")
    params = json.loads("[" + ",".join(p for _, _, p, _ in rows) + "]")
    losses = objective_losses(study.objectives, values)
    front = pareto_mask(losses, violations(study.constraints, values)) if rows else []
    metrics = [o["metric"] for o in study.objectives]
    return {
        "objectives": study.objectives,
        "number": [number for number, _, _, _ in rows],
        "values": {m: [r6(v.get(m)) for v in values] for m in metrics},
        "params": params,
        "feasible": [feasible is not False for _, _, _, feasible in rows],
        "front": [bool(f) for f in front],
        "n_trials": study.trials.filter(state__in=Trial.FINISHED).count(),
    }


def _hover(data: dict, i: int) -> str:
    metrics = [o["metric"] for o in data["objectives"]]
    shown = [f"{label(m)} = {data['values'][m][i]}" for m in metrics]
    shown += [f"{label(k)} = {label(v)}" for k, v in list(data["params"][i].items())[:12]]
    return f"trial #{data['number'][i]}<br>" + "<br>".join(shown)


def _groups(data: dict) -> list[tuple[str, list[int], dict]]:
    """(name, indices, marker) of the front, the other feasible trials and the infeasible ones."""
    n = len(data["number"])
    front = [i for i in range(n) if data["front"][i]]
    other = [i for i in range(n) if data["feasible"][i] and not data["front"][i]]
    infeasible = [i for i in range(n) if not data["feasible"][i]]
    return [
        ("Pareto front", front, {"color": FRONT_COLOUR, "size": 9}),
        ("dominated", other, {"color": OTHER_COLOUR, "size": 6}),
        ("infeasible", infeasible, {"color": INFEASIBLE_COLOUR, "size": 7, "symbol": "x"}),
    ]


def pareto_figure(data: dict, _options: dict | None = None) -> dict:
    """A scatter (two objectives) or a matrix of pairs (three) of the trials, the front joined."""
    if len(data["objectives"]) < 2:
        return empty_figure("The Pareto front needs a study with several objectives.")
    if not data["number"]:
        return empty_figure("No complete trial yet.")
    if len(data["objectives"]) == 2:
        return _scatter(data)
    return _matrix(data)


def _axis_title(objective: dict) -> str:
    arrow = "lower is better" if objective["direction"] == "minimize" else "higher is better"
    return f"{label(objective['metric'])} ({arrow})"


def _scatter(data: dict) -> dict:
    x_obj, y_obj = data["objectives"]
    xs, ys = data["values"][x_obj["metric"]], data["values"][y_obj["metric"]]
    traces = []
    for name, idx, marker in _groups(data):
        if name == "Pareto front":
            idx = sorted(idx, key=lambda i: (xs[i], ys[i]))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if name == "Pareto front" else "markers",
                "line": {"shape": "hv" if name == "Pareto front" else None, "color": FRONT_COLOUR},
                "name": name,
                "x": [xs[i] for i in idx],
                "y": [ys[i] for i in idx],
                "customdata": [data["number"][i] for i in idx],
                "text": [_hover(data, i) for i in idx],
                "hoverinfo": "text",
                "marker": marker,
            }
        )
    layout = base_layout(
        "Pareto front",
        xaxis={"title": {"text": _axis_title(x_obj)}},
        yaxis={"title": {"text": _axis_title(y_obj)}},
    )
    return {"data": traces, "layout": layout}


def _matrix(data: dict) -> dict:
    dimensions_of = [
        lambda idx, o=o: {
            "label": label(o["metric"]),
            "values": [data["values"][o["metric"]][i] for i in idx],
        }
        for o in data["objectives"]
    ]
    traces = [
        {
            "type": "splom",
            "name": name,
            "dimensions": [dim(idx) for dim in dimensions_of],
            "customdata": [data["number"][i] for i in idx],
            "text": [_hover(data, i) for i in idx],
            "hoverinfo": "text",
            "marker": marker,
            "diagonal": {"visible": False},
        }
        for name, idx, marker in _groups(data)
    ]
    return {"data": traces, "layout": base_layout("Pareto front (pairs of objectives)", height=560)}


def pareto_table(data: dict) -> tuple[list[str], list[list]]:
    metrics = [o["metric"] for o in data["objectives"]]
    header = ["number", *metrics, "feasible", "pareto"]
    rows = [
        [number, *(data["values"][m][i] for m in metrics), data["feasible"][i], data["front"][i]]
        for i, number in enumerate(data["number"])
    ]
    return header, rows
