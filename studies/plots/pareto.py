"""The Pareto front of a study with several objectives and its hypervolume over trials: their data
(one query each), then their figures.

Two objectives: a scatter with the front joined in the order of the first objective; three: a matrix
of pairs. Feasible trials off the front are grey, the front is coloured, infeasible trials are
crosses drawn apart. Hovering a point shows the trial's number, objectives and parameters.
"""

from __future__ import annotations

import json

import numpy as np
from django.db.models import TextField
from django.db.models.functions import Cast

from studies import trial_sample
from studies.front_sort import hypervolume_curve, reference_point
from studies.models import Study
from studies.objectives import complete_columns, result_arrays
from studies.plots.parts import (
    INFEASIBLE_MARKER,
    MAX_POINTS,
    base_layout,
    empty_figure,
    label,
    r6_list,
    trial_axis,
    with_note,
)

HOVER_PARAMS = 10
MAX_DRAWN = 2500  # points, with their hover text: the figure stays under 1 MB at 10,000 trials
FRONT_COLOUR = "#1f77b4"
OTHER_COLOUR = "#b0b0b0"


def pareto_data(study: Study) -> dict:
    """Complete trials' objective values (a sample past `trial_sample.READ_ALL`, the front always in it),
    feasibility and whether each is on the front (the summary's), and the params of those the
    figure draws (by index)."""
    read = trial_sample.sample(study)
    rows, columns = complete_columns(
        study, "number", Cast("params", TextField()), "feasible", trials=read.narrow(study.trials)
    )
    on_front = set(read.front)
    front = [number in on_front for number, _, _ in rows]
    feasible = [feasible is not False for _, _, feasible in rows]
    drawn = [i for _, indices in _split(front, feasible) for i in indices]
    metrics = [o["metric"] for o in study.objectives]
    return {
        "objectives": study.objectives,
        "number": [number for number, _, _ in rows],
        "values": {m: r6_list(columns[m]) for m in metrics},
        "params": {i: json.loads(rows[i][1]) for i in drawn},
        "feasible": feasible,
        "front": front,
        "n_trials": read.n_finished,
        "sample_note": trial_sample.note(read, "the Pareto set, the best, the latest and an even spread"),
    }


def _hover(data: dict, i: int, names: dict[str, str]) -> str:
    """The trial's number, objectives and first parameters; `names` holds the escaped labels."""
    shown = [f"{names[m]} = {data['values'][m][i]}" for m in data["values"]]
    for k, v in list(data["params"][i].items())[:HOVER_PARAMS]:
        shown.append(f"{names.get(k) or label(k)} = {label(v) if isinstance(v, str) else v}")
    return f"trial #{data['number'][i]}<br>" + "<br>".join(shown)


def _split(front: list[bool], feasible: list[bool]) -> list[tuple[str, list[int]]]:
    """The indices drawn as the front, the other feasible trials and the infeasible ones; past
    MAX_DRAWN the latter two are an even sample (the title says how many are drawn)."""
    n = len(front)
    on_front = [i for i in range(n) if front[i]]
    other = [i for i in range(n) if feasible[i] and not front[i]]
    infeasible = [i for i in range(n) if not feasible[i]]
    room = max(MAX_DRAWN - len(on_front), MAX_DRAWN // 4)
    other_room = max(room - min(len(infeasible), room // 3), room // 2)
    return [
        ("Pareto front", on_front),
        ("dominated", _spread(other, other_room)),
        ("infeasible", _spread(infeasible, room - other_room)),
    ]


def _groups(data: dict) -> list[tuple[str, list[int], dict]]:
    """(name, indices, marker) of each group `_split` draws, with the hover text of each point."""
    markers = {
        "Pareto front": {"color": FRONT_COLOUR, "size": 9},
        "dominated": {"color": OTHER_COLOUR, "size": 6},
        "infeasible": INFEASIBLE_MARKER,
    }
    return [(name, idx, markers[name]) for name, idx in _split(data["front"], data["feasible"])]


def _spread(indices: list[int], limit: int) -> list[int]:
    if len(indices) <= limit:
        return indices
    step = len(indices) / max(limit, 1)
    return [indices[int(k * step)] for k in range(limit)]


def _title(data: dict, traces: list[dict]) -> str:
    drawn = sum(len(t["customdata"]) for t in traces)
    total = len(data["number"])
    return "Pareto front" + (f" ({drawn} of {total} trials drawn)" if drawn < total else "")


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


def _labels(data: dict) -> dict[str, str]:
    """Escaped labels of the objectives and of the parameters the first drawn trial has."""
    first = next(
        iter(data["params"].values()) if isinstance(data["params"], dict) else iter(data["params"]), {}
    )
    return {name: label(name) for name in [*data["values"], *first]}


def _scatter(data: dict) -> dict:
    names = _labels(data)
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
                "text": [_hover(data, i, names) for i in idx],
                "hoverinfo": "text",
                "marker": marker,
            }
        )
    layout = base_layout(
        _title(data, traces),
        xaxis={"title": {"text": _axis_title(x_obj)}},
        yaxis={"title": {"text": _axis_title(y_obj)}},
    )
    return {"data": traces, "layout": layout}


def _matrix(data: dict) -> dict:
    names = _labels(data)
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
            "text": [_hover(data, i, names) for i in idx],
            "hoverinfo": "text",
            "marker": marker,
            "diagonal": {"visible": False},
        }
        for name, idx, marker in _groups(data)
    ]
    title = _title(data, traces).replace("Pareto front", "Pareto front (pairs of objectives)")
    return {"data": traces, "layout": base_layout(title, height=560)}


def pareto_table(data: dict) -> tuple[list[str], list[list]]:
    metrics = [o["metric"] for o in data["objectives"]]
    header = ["number", *metrics, "feasible", "pareto"]
    rows = [
        [number, *(data["values"][m][i] for m in metrics), data["feasible"][i], data["front"][i]]
        for i, number in enumerate(data["number"])
    ]
    return header, rows


# --- hypervolume over trials ---------------------------------------------------------------------


def feasible_losses(objectives: list[dict], constraints: list[dict], columns: dict) -> tuple:
    """(mask, losses): which results (metric columns) are feasible and finite, and their losses."""
    losses, violation = result_arrays(objectives, constraints, columns)
    ok = np.all(np.isfinite(losses), axis=1) & (violation <= 0)  # NaN violation: not feasible
    return ok, losses[ok]


def hypervolume_series(numbers: list[int], losses: np.ndarray, reference: np.ndarray | None) -> dict:
    """The hypervolume of the feasible trials up to each trial number where it grew."""
    if reference is None or not len(numbers):
        return {"number": [], "hypervolume": []}
    indices, volumes = hypervolume_curve(losses, reference)
    return {"number": [numbers[i] for i in indices], "hypervolume": r6_list(volumes)}


def hypervolume_data(study: Study) -> dict:
    """The study's hypervolume curve against a reference just past its feasible trials' worst values
    (past `trial_sample.READ_ALL`, of a sample that holds the front: its last value is the study's own)."""
    read = trial_sample.sample(study)
    rows, columns = complete_columns(study, "number", trials=read.narrow(study.trials))
    ok, losses = feasible_losses(study.objectives, study.constraints, columns)
    reference = reference_point(losses)
    numbers = [number for (number,), keep in zip(rows, ok, strict=True) if keep]
    signs = [-1 if o["direction"] == "maximize" else 1 for o in study.objectives]
    return {
        "objectives": study.objectives,
        "reference": None if reference is None else r6_list((reference * signs).tolist()),
        **hypervolume_series(numbers, losses, reference),
        "last_number": rows[-1][0] if rows else None,
        "n_trials": read.n_finished,
        "sample_note": trial_sample.note(read, "the Pareto set, the best, the latest and an even spread"),
    }


def hypervolume_trace(series: dict, name: str, last_number: int | None = None) -> dict:
    """A step line of one curve, thinned to MAX_POINTS steps; held flat to `last_number`."""
    xs, ys = series["number"], series["hypervolume"]
    if len(xs) > MAX_POINTS:
        keep = sorted({round(k * (len(xs) - 1) / (MAX_POINTS - 1)) for k in range(MAX_POINTS)})
        xs, ys = [xs[k] for k in keep], [ys[k] for k in keep]
    if ys and last_number is not None and last_number > xs[-1]:
        xs, ys = [*xs, last_number], [*ys, ys[-1]]
    return {"type": "scatter", "mode": "lines", "line": {"shape": "hv"}, "name": name, "x": xs, "y": ys}


def hypervolume_figure(data: dict, _options: dict | None = None) -> dict:
    if not data["number"]:
        return empty_figure("No feasible complete trial yet.")
    where = ", ".join(
        f"{o['metric']} = {r}" for o, r in zip(data["objectives"], data["reference"], strict=True)
    )  # with_note escapes it
    layout = base_layout(
        "Hypervolume of the feasible front",
        xaxis=trial_axis(data["number"]),
        yaxis={"title": {"text": "hypervolume"}},
    )
    figure = {"data": [hypervolume_trace(data, "hypervolume", data["last_number"])], "layout": layout}
    return with_note(figure, f"reference point: {where}")  # on the y axis it ran past the plot


def hypervolume_table(data: dict) -> tuple[list[str], list[list]]:
    return ["number", "hypervolume"], [list(r) for r in zip(data["number"], data["hypervolume"], strict=True)]
