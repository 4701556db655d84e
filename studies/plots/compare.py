"""Studies side by side (the compare page) and each study's best-so-far sparkline (the study list).

As elsewhere, the database is read into plain data in a fixed number of queries, whatever the number
of studies or trials, and pure functions turn the data into figures and table rows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable

import numpy as np
from django.db.models import Q

from studies import services, study_diff, trial_sample
from studies.front_sort import reference_point
from studies.models import ParameterRecord, Study, StudyAnalysis, Trial
from studies.objectives import metric_columns
from studies.plots import pareto
from studies.plots.data import EpochMs
from studies.plots.parts import LEGEND_BELOW_AXIS_TITLE, MARGIN, best_so_far, label, r6_list

SPARK_POINTS = 40
EDF_POINTS = 500  # per study
WITHIN = 0.01  # "time to reach within 1 % of the best"


def _runs(studies: list[Study]) -> dict[int, dict]:
    """Per study: finished trials in number order (value, state, feasible, seconds since the first start);
    past `trial_sample.READ_ALL`, the plots' sample of them (which holds every improvement of the best)."""
    which, reads = _trials_read(studies)
    runs = {
        s.pk: {
            "number": [],
            "value": [],
            "state": [],
            "feasible": [],
            "elapsed": [],
            "t0": None,
            "n": reads[s.pk].n_finished,
        }
        for s in studies
    }
    rows = (
        Trial.objects.filter(which, state__in=Trial.FINISHED)
        .exclude(state=Trial.State.CANCELLED)
        .order_by("study_id", "number")
        .values_list(
            "study_id", "number", "value", "state", "feasible", EpochMs("started"), EpochMs("finished")
        )
    )
    for study_id, number, value, state, feasible, started, finished in rows:
        run = runs[study_id]
        first = started if started is not None else finished
        if run["t0"] is None or (first is not None and first < run["t0"]):
            run["t0"] = first
        run["number"].append(number)
        run["value"].append(value)
        run["state"].append(state)
        run["feasible"].append(feasible)
        run["elapsed"].append(finished)
    for run in runs.values():
        t0 = run.pop("t0")
        run["elapsed"] = [
            (f - t0) / 1000 if f is not None and t0 is not None else None for f in run["elapsed"]
        ]
    return runs


def _trials_read(studies: list[Study]) -> tuple[Q, dict[int, trial_sample.Sample]]:
    """The trials of `studies` the plots read (`trial_sample.sample` of each), as one filter."""
    reads = trial_sample.samples(studies)
    which = Q(pk__in=[])
    for study_id, read in reads.items():
        which |= (
            Q(study_id=study_id) if read.numbers is None else Q(study_id=study_id, number__in=read.numbers)
        )
    return which, reads


def compare_data(studies: list[Study]) -> dict:
    """Best-so-far runs, summary numbers and stored importances of `studies` (three queries)."""
    runs = _runs(studies)
    for study in studies:
        services.mark_watched(study)
    importances = {
        study_id: data
        for study_id, data in StudyAnalysis.objects.filter(study__in=studies, kind="importance").values_list(
            "study_id", "data"
        )
    }
    labels = study_diff.labels(studies)
    names: dict[int, list[str]] = {s.pk: [] for s in studies}
    params = ParameterRecord.objects.filter(space__study__in=studies).order_by("space_id", "position")
    for study_id, name in params.values_list("space__study", "name"):
        names[study_id].append(name)
    out = []
    for s in studies:
        run = runs[s.pk]
        best = best_so_far(run["value"], run["state"], s.direction, run["feasible"])
        ped = (importances.get(s.pk) or {}).get("ped_anova") or {}
        out.append(
            {
                "id": s.pk,
                "name": s.name,
                "label": labels[s.pk],
                "optimizer": s.optimizer,
                "direction": s.direction,
                "values": [v for v, st in zip(run["value"], run["state"], strict=True) if st == "complete"],
                "number": run["number"],
                "elapsed": run["elapsed"],
                "best": best,
                "params": names[s.pk],
                "importance": ped.get("params"),
                "n_trials": run["n"],
            }
        )
    return {"studies": out}


def _change_points(xs: list, ys: list) -> tuple[list, list]:
    keep = [
        i for i in range(len(ys)) if ys[i] is not None and (i == len(ys) - 1 or i == 0 or ys[i] != ys[i - 1])
    ]
    return [xs[i] for i in keep], [ys[i] for i in keep]


def best_curves_figure(data: dict, x_axis: str = "number", log_y: bool = False) -> dict:
    """Each study's best so far, overlaid, by trial number or by seconds since its first trial started."""
    traces = []
    for s in data["studies"]:
        xs = s["number"] if x_axis == "number" else s["elapsed"]
        pairs = [(x, y) for x, y in zip(xs, s["best"], strict=True) if x is not None]
        x, y = _change_points([p[0] for p in pairs], [p[1] for p in pairs])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hv"},
                "name": label(s.get("label") or s["name"]),
                "x": x,
                "y": r6_list(y),
            }
        )
    return {
        "data": traces,
        "layout": {
            **LEGEND_BELOW_AXIS_TITLE,
            "xaxis": {
                "title": {"text": "trial" if x_axis == "number" else "seconds since the first trial started"}
            },
            "yaxis": {"title": {"text": "best so far"}, "type": "log" if log_y else "linear"},
        },
    }


def summary_rows(data: dict) -> list[dict]:
    """Best value, trials, and the trial and time at which each study first came within 1 % of its best."""
    rows = []
    for s in data["studies"]:
        final = next((b for b in reversed(s["best"]) if b is not None), None)
        reach = None
        if final is not None:
            tol = WITHIN * abs(final) if final else 1e-12
            reach = next(i for i, b in enumerate(s["best"]) if b is not None and abs(b - final) <= tol)
        rows.append(
            {
                "id": s["id"],
                "name": s["name"],
                "label": s.get("label") or s["name"],
                "optimizer": s["optimizer"],
                "best": final,
                "n_trials": s["n_trials"],
                "reach_trial": s["number"][reach] if reach is not None else None,
                "reach_time": fmt_seconds(s["elapsed"][reach] if reach is not None else None),
            }
        )
    return rows


def time_to_target(data: dict, target: float) -> list[dict]:
    """Per study: the first trial whose best so far reaches `target` (at or below it when minimizing,
    at or above when maximizing) and the time since its first trial started; None when never."""
    rows = []
    for s in data["studies"]:
        reached = (lambda b: b <= target) if s["direction"] == "minimize" else (lambda b: b >= target)
        hit = next((i for i, b in enumerate(s["best"]) if b is not None and reached(b)), None)
        rows.append(
            {
                "id": s["id"],
                "label": s.get("label") or s["name"],
                "trial": s["number"][hit] if hit is not None else None,
                "time": fmt_seconds(s["elapsed"][hit] if hit is not None else None),
            }
        )
    return rows


def edf_figure(data: dict) -> dict:
    """The empirical distribution of each study's complete values: the share of trials at or below x."""
    traces = []
    for s in data["studies"]:
        values = sorted(s["values"])
        n = len(values)
        keep = (
            sorted({round(i * (n - 1) / (EDF_POINTS - 1)) for i in range(EDF_POINTS)})
            if n > EDF_POINTS
            else range(n)
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hv"},
                "name": label(s.get("label") or s["name"]),
                "x": r6_list([values[i] for i in keep]),
                "y": [round((i + 1) / n, 4) for i in keep],
            }
        )
    return {
        "data": traces,
        "layout": {
            **LEGEND_BELOW_AXIS_TITLE,
            "xaxis": {"title": {"text": "value"}},
            "yaxis": {"title": {"text": "share of complete trials at or below"}, "range": [0, 1.02]},
        },
    }


def repeat_rows(data: dict, groups: list[list[int]]) -> list[dict]:
    """Per group of repeats (study ids): the median of their best values and the spread (lowest and
    highest), so a difference between optimizers can be read against the spread between seeds."""
    best = {row["id"]: row["best"] for row in summary_rows(data)}
    rows = []
    for ids in groups:
        values = sorted(best[i] for i in ids if best[i] is not None)
        names = [s["name"] for s in data["studies"] if s["id"] in ids]
        rows.append(
            {
                "studies": ", ".join(names),
                "n": len(values),
                "median": statistics.median(values) if values else None,
                "low": values[0] if values else None,
                "high": values[-1] if values else None,
            }
        )
    return rows


def shared_parameters(data: dict) -> list[str]:
    """Parameters every compared study has, in the first study's order."""
    if not data["studies"]:
        return []
    common = set.intersection(*(set(s["params"]) for s in data["studies"]))
    return [n for n in data["studies"][0]["params"] if n in common]


def importance_figure(data: dict) -> dict | None:
    """Grouped bars: each study's PED-ANOVA importance of the shared parameters (None when none)."""
    shared = shared_parameters(data)
    with_imp = [s for s in data["studies"] if s["importance"]]
    if not shared or not with_imp:
        return None
    traces = [
        {
            "type": "bar",
            "name": label(s.get("label") or s["name"]),
            "x": [label(n) for n in shared],
            "y": r6_list([s["importance"].get(n, {}).get("importance") for n in shared]),
        }
        for s in with_imp
    ]
    return {
        "data": traces,
        "layout": {
            "margin": MARGIN,
            "barmode": "group",
            "legend": {"orientation": "h"},
            "yaxis": {"title": {"text": "importance (PED-ANOVA)"}},
        },
    }


def sparklines(studies: Iterable[Study], width: int = 100, height: int = 20) -> dict[int, str]:
    """SVG polyline points of each study's best so far by trial number, sampled from its summary's
    best path (`StudySummary.best_path`, read with the study): no trial is read, whatever their number."""
    lines = {}
    for study in studies:
        path = study.summary.best_path
        if path:
            lines[study.pk] = _polyline(_sampled(path, study.summary.n_trials), width, height)
    return lines


def _sampled(path: list[list], n_trials: int) -> list[float]:
    """The best so far at `SPARK_POINTS` trial numbers evenly spread from the first entry of `path`
    to the last trial."""
    first, last = path[0][0], max(n_trials, path[-1][0])
    if last <= first:
        return [path[0][1]]
    values, entry = [], 0
    for i in range(SPARK_POINTS):
        number = first + (last - first) * i / (SPARK_POINTS - 1)
        while entry + 1 < len(path) and path[entry + 1][0] <= number:
            entry += 1
        values.append(path[entry][1])
    return values


def _polyline(ys: list[float], width: int, height: int) -> str:
    """Points of `ys` evenly spread over the width, scaled to the height."""
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    xs = [i / max(len(ys) - 1, 1) * width for i in range(len(ys))]
    return " ".join(
        f"{x:.1f},{height - 1 - (y - lo) / span * (height - 2):.1f}" for x, y in zip(xs, ys, strict=True)
    )


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _objective_key(study: Study) -> frozenset:
    return frozenset((o["metric"], o["direction"]) for o in study.objectives)


def hypervolume_figure(studies: list[Study], data: dict) -> dict | None:
    """The hypervolume curves of the studies that share the first multi-objective study's
    objectives, against one reference point past all their feasible trials (one query); None when
    no study has several objectives."""
    first = next((s for s in studies if s.is_multi_objective), None)
    if first is None:
        return None
    shared = [s for s in studies if s.is_multi_objective and _objective_key(s) == _objective_key(first)]
    metrics = [o["metric"] for o in first.objectives] + sorted(
        {c["metric"] for s in shared for c in s.constraints}
    )
    trials = Trial.objects.filter(_trials_read(shared)[0]).order_by("study_id", "number")
    rows, columns = metric_columns(trials, metrics, "study_id", "number")
    runs = {}
    for s in shared:
        mine = np.array([study_id == s.pk for study_id, _ in rows], dtype=bool)
        ok, losses = pareto.feasible_losses(
            first.objectives, s.constraints, {m: c[mine] for m, c in columns.items()}
        )
        numbers = [number for (study_id, number) in rows if study_id == s.pk]
        runs[s.pk] = ([n for n, keep in zip(numbers, ok, strict=True) if keep], losses)
    together = [losses for _, losses in runs.values() if len(losses)]
    reference = reference_point(np.vstack(together)) if together else None
    labels = {s["id"]: s.get("label") or s["name"] for s in data["studies"]}
    traces = [
        pareto.hypervolume_trace(pareto.hypervolume_series(*runs[s.pk], reference), label(labels[s.pk]))
        for s in shared
    ]
    names = ", ".join(label(o["metric"]) for o in first.objectives)
    return {
        "data": traces,
        "layout": {
            **LEGEND_BELOW_AXIS_TITLE,
            "title": {"text": f"Studies of {names}: one reference point for all", "font": {"size": 14}},
            "xaxis": {"title": {"text": "trial"}},
            "yaxis": {"title": {"text": "hypervolume of the feasible front"}},
        },
    }
