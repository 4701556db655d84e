"""The study page's plots, step one: the database read into plain data (a fixed number of queries).

Step two, plain data to plotly figures, is `studies.plots.figures` (and `analysis_figures` for what
a worker computed); `PLOTS` pairs them for the data endpoints in `studies.plot_views`, each with the
table its CSV download writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db.models import F, FloatField, Func, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from studies import services, trial_sample
from studies.models import Study, StudyAnalysis, Trial, TrialMetric
from studies.plots import analysis, analysis_figures, figures, pareto, parts


class EpochMs(Func):
    """Milliseconds since the Unix epoch, computed by the database: no datetime object per row."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "(julianday(%(expressions)s) - 2440587.5) * 86400000.0"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) * 1000 AS double precision)"
        return self.as_sql(compiler, connection, template=template, **extra)


def history_data(study: Study) -> dict:
    """Finished trials (a sample past `trial_sample.READ_ALL`) in number order: value, state, feasible
    (None without constraints), finish time (epoch milliseconds)."""
    read = trial_sample.sample(study)
    rows = list(
        read.narrow(study.trials.filter(state__in=Trial.FINISHED))
        .order_by("number")
        .values_list("number", "value", "state", "feasible", EpochMs("finished"), Cast("values", TextField()))
    )
    data = {
        "direction": study.direction,
        "metric": study.metric,
        "constrained": bool(study.constraints),
        "number": [],
        "value": [],
        "state": [],
        "feasible": [],
        "finished_ms": [],
    }
    for number, value, state, feasible, finished, _ in rows:
        data["number"].append(number)
        data["value"].append(value)
        data["state"].append(state)
        data["feasible"].append(feasible)
        data["finished_ms"].append(finished)
    data["n_trials"] = read.n_finished
    data["sample_note"] = trial_sample.note(read)
    return {**data, **_objective_values(study, [row[-1] for row in rows])}


def _objective_values(study: Study, texts: list[str | None]) -> dict:
    """With several objectives, each one's values (None where a trial has none), so a figure can be
    drawn for any of them (`parts.for_objective`); one parse of all the JSON texts at once."""
    if not study.is_multi_objective:
        return {}
    values = json.loads("[" + ",".join(text or "null" for text in texts) + "]")
    return {
        "objectives": study.objectives,
        "values": {o["metric"]: [(v or {}).get(o["metric"]) for v in values] for o in study.objectives},
    }


def complete_data(study: Study) -> dict:
    """Complete trials' params (one list per parameter) and values, for parallel coordinates and
    slices (a sample past `trial_sample.READ_ALL`)."""
    space = study.space.to_dict()
    read = trial_sample.sample(study)
    rows = list(
        read.narrow(study.trials.completed())
        .filter(value__isnull=False)
        .order_by("number")
        .values_list("number", "value", Cast("params", TextField()), Cast("values", TextField()))
    )
    # One parse of all params as a JSON array: far cheaper than a json.loads per row at 10,000 trials.
    all_params = json.loads("[" + ",".join(text for _, _, text, _ in rows) + "]")
    return {
        "direction": study.direction,
        "metric": study.metric,
        "space": space,
        "number": [number for number, _, _, _ in rows],
        "value": [value for _, value, _, _ in rows],
        "params": {name: [params.get(name) for params in all_params] for name in space},
        "n_trials": read.n_finished,
        "sample_note": trial_sample.note(read),
        **_objective_values(study, [row[-1] for row in rows]),
    }


def values_data(study: Study) -> dict:
    """Complete trials' values only, for the EDF (past `trial_sample.READ_ALL`, an even spread of them)."""
    read = trial_sample.sample(study, representative=True)
    values = read.narrow(study.trials.completed()).filter(value__isnull=False).values_list("value", flat=True)
    return {
        "metric": study.metric,
        "value": list(values),
        "n_trials": read.n_finished,
        "sample_note": trial_sample.note(read, "an even spread by trial number"),
    }


def timeline_data(study: Study) -> dict:
    """Each started trial's worker, state and times; past `trial_sample.READ_ALL`, the latest ones."""
    read = trial_sample.sample(study)
    rows = read.latest(study.trials.filter(started__isnull=False), trial_sample.LATEST).order_by("number")
    trials = [
        {"number": n, "worker": w or "?", "state": s, "started_ms": a, "finished_ms": b}
        for n, w, s, a, b in rows.values_list(
            "number", "worker", "state", EpochMs("started"), EpochMs("finished")
        )
    ]
    return {
        "trials": trials,
        "now_ms": timezone.now().timestamp() * 1000,
        "n_trials": read.n_finished,
        "sample_note": f"the latest {trial_sample.LATEST:,} of {read.last:,} trials" if read.numbers else "",
    }


def curves_data(study: Study) -> dict:
    """A best-first sample of learning curves (of the trials `trial_sample` reads past its threshold), and
    the per-step percentiles a worker computed."""
    read = trial_sample.sample(study)
    current = TrialMetric.objects.filter(trial__study=study, attempt_id=F("trial__attempt_id"))
    candidates = list(
        read.narrow(study.trials)
        .filter(state__in=[*Trial.FINISHED, Trial.State.RUNNING], attempt__isnull=False)
        .exclude(state=Trial.State.CANCELLED)
        .values_list("pk", "number", "state", "value")
    )
    ranked = [c for c in candidates if c[3] is not None]
    chosen = [
        ranked[i] for i in parts.best_first_sample([c[3] for c in ranked], study.direction, parts.MAX_CURVES)
    ]
    chosen += [c for c in candidates if c[3] is None][: parts.MAX_CURVES // 10]
    by_pk = {pk: {"number": n, "state": s, "step": [], "value": []} for pk, n, s, _ in chosen}
    rows = current.filter(trial_id__in=list(by_pk)).order_by("trial_id", "step")
    for trial_id, step, value in rows.values_list("trial_id", "step", "value"):
        by_pk[trial_id]["step"].append(step)
        by_pk[trial_id]["value"].append(value)
    curves = sorted((c for c in by_pk.values() if c["step"]), key=lambda c: c["number"])
    return {
        "metric": study.metric,
        "curves": curves,
        "band": analysis_data(study, "curve_band")["data"],
        "n_curves": len(candidates) if read.numbers is None else _with_curves(read.counts),
        "n_trials": read.n_finished,
        "sample_note": trial_sample.note(read),
    }


def _with_curves(counts: dict[str, int]) -> int:
    """Trials that may have a curve: finished (cancelled ones aside) or running."""
    return sum(
        counts[state] for state in (*Trial.FINISHED, Trial.State.RUNNING) if state != Trial.State.CANCELLED
    )


def analysis_data(study: Study, kind: str) -> dict:
    """What the worker stored for `kind`, or a note that it has not been computed yet; keeps it current
    while someone reads it (services.mark_watched)."""
    services.mark_watched(study)
    row = StudyAnalysis.objects.filter(study=study, kind=kind).values("data", "n_trials", "computed").first()
    return _stored(study, row)


def _stored(study: Study, row: dict | None) -> dict:
    pending = _pending(study, row)
    if row is None:
        return {"n_trials": None, "data": None, "metric": study.metric, "computed": None, "pending": pending}
    return {
        "n_trials": row["n_trials"],
        "data": row["data"],
        "metric": study.metric,
        "computed": row["computed"].isoformat(),
        "pending": pending,
    }


def _pending(study: Study, row: dict | None) -> bool:
    """Whether a stopped study's analysis is yet to cover its last results (it runs a window after
    they come): its page goes on asking, where plots stop refreshing once a study stops."""
    if study.state == Study.State.RUNNING:  # its plots refresh anyway
        return False
    return not analysis.covers_every_result(study, row["n_trials"] if row else 0)


def importance_data(study: Study) -> dict:
    """The stored importance of the first objective, and with several the others' (one query); keeps it
    current while someone reads it."""
    services.mark_watched(study)
    kinds = ["importance", analysis.OBJECTIVE_IMPORTANCE]
    rows = StudyAnalysis.objects.filter(study=study, kind__in=kinds).values(
        "kind", "data", "n_trials", "computed"
    )
    by_kind = {row["kind"]: row for row in rows}
    data = _stored(study, by_kind.get("importance"))
    if study.is_multi_objective:
        others = by_kind.get(analysis.OBJECTIVE_IMPORTANCE)
        data.update(objectives=study.objectives, by_objective=others["data"] if others else {})
    return data


def posterior_data(study: Study) -> dict:
    """The stored GP slices, with what the panel may claim: the acquisition is the study's own only
    when a "gp" optimizer runs it, and its next suggestion is real only while the study goes on."""
    gp = study.optimizer == "gp"
    going_on = study.state in (Study.State.RUNNING, Study.State.PAUSED)
    return {**analysis_data(study, "posterior"), "optimizer": study.optimizer, "suggests": gp and going_on}


class PlotQuery(forms.Form):
    """Every option a plot takes, validated; each plot reads the ones it understands."""

    x = forms.ChoiceField(required=False, choices=[("", "number"), ("number", "number"), ("time", "time")])
    log = forms.BooleanField(required=False)
    top = forms.FloatField(required=False, min_value=0.1, max_value=100)
    param = forms.CharField(required=False, max_length=64)
    x_param = forms.CharField(required=False, max_length=64)
    y_param = forms.CharField(required=False, max_length=64)
    objective = forms.CharField(required=False, max_length=64)  # a study with several: which one


@dataclass(frozen=True)
class Plot:
    """One data endpoint: read the data, draw it with the query's options, tabulate it for CSV."""

    read: Callable[[Study], dict]
    draw: Callable[[dict, dict], dict]
    table: Callable[[dict], tuple[list[str], list[list]]]

    def figure(self, data: dict, options: dict) -> dict:
        """The figure, its title saying so when it was drawn from a sample (`trial_sample.note`)."""
        return parts.with_note(self.draw(data, options), data.get("sample_note", ""))


PLOTS: dict[str, Plot] = {
    "history": Plot(
        history_data,
        lambda d, o: figures.history_figure(d, x_axis=o["x"] or "number", log_y=o["log"]),
        figures.history_table,
    ),
    "parallel": Plot(
        complete_data,
        lambda d, o: figures.parallel_figure(d, o["top"] or 100.0),
        figures.params_table,
    ),
    "slice": Plot(complete_data, lambda d, o: figures.slice_figure(d), figures.params_table),
    "edf": Plot(values_data, lambda d, o: figures.edf_figure(d), figures.edf_table),
    "timeline": Plot(timeline_data, lambda d, o: figures.timeline_figure(d), figures.timeline_table),
    "curves": Plot(curves_data, lambda d, o: figures.curves_figure(d, log_y=o["log"]), figures.curves_table),
    "importance": Plot(
        importance_data,
        analysis_figures.importance_figure,
        analysis_figures.importance_table,
    ),
    "posterior": Plot(
        posterior_data,
        analysis_figures.posterior_figure,
        analysis_figures.posterior_table,
    ),
    "contour": Plot(
        lambda s: analysis_data(s, "contour"), analysis_figures.contour_figure, analysis_figures.contour_table
    ),
    "pareto": Plot(pareto.pareto_data, pareto.pareto_figure, pareto.pareto_table),
    "hypervolume": Plot(pareto.hypervolume_data, pareto.hypervolume_figure, pareto.hypervolume_table),
}
