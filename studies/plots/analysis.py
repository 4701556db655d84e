"""Costly analysis of a study, computed by a worker (`workers.analyze_study`) and stored in StudyAnalysis.

A page request never fits a GP: the study page draws what is stored here and says as of how many
trials. `services.enqueue_analysis` throttles the requests; `analyze_study` (the command) computes on
demand. A part that cannot be computed yet (no complete trial, one parameter) is stored as
{"unavailable": why} and the page says so.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F

from studies import recommendation, trial_sample
from studies.models import Study, StudyAnalysis, StudySummary, TrialMetric
from studies.optimizers import SearchSpace
from studies.optimizers.importance import importance
from studies.optimizers.posterior import fit_surrogate, posterior_slices
from studies.plots.parts import MAX_POINTS, MAX_SCATTER, best_first_sample
from studies.services import optimizer_inputs

OBJECTIVE_IMPORTANCE = "objective_importance"  # a study with several: {metric: importance} of the others
CONTOUR_PARAMS = 8  # the most important ones; a contour for every pair of them
CONTOUR_GRID = 30
CONTOUR_POINTS = 1000
N_BOOTSTRAP = 50


def acquisition_kind(study: Study) -> str:
    """The acquisition the study's optimizer uses; EI for the view of studies run without gp."""
    kind = study.optimizer_settings.get("acquisition", "auto") if study.optimizer == "gp" else "ei"
    return "ei" if kind == "auto" else kind


def compute_importance(space: SearchSpace, complete: list, direction: str, seed: int) -> dict:
    out: dict[str, Any] = {
        "ped_anova": importance(space, complete, direction, n_bootstrap=N_BOOTSTRAP, seed=seed)
    }
    try:
        gp = importance(space, complete, direction, method="gp", n_bootstrap=N_BOOTSTRAP, seed=seed)
    except ValueError as error:  # no complete trial to fit to
        out["gp"] = {"unavailable": str(error)}
    else:
        out["gp"] = gp
    return out


def compute_posterior(space: SearchSpace, history: list, direction: str, kind: str) -> dict:
    if not any(v is not None for _, v in history):
        return {"slices": {}, "acquisition": kind}
    slices = posterior_slices(space, history, direction, acquisition=kind, n_grid=100)
    for s in slices.values():  # every trial projected is too many points to store and draw at 10,000
        obs = s["observations"]
        keep = best_first_sample(obs["value"], direction, MAX_SCATTER)
        s["observations"] = {"x": [obs["x"][i] for i in keep], "value": [obs["value"][i] for i in keep]}
    axes = {p.name: {"log": bool(p.log), "categorical": p.is_categorical} for p in space.parameters}
    return {"slices": slices, "acquisition": kind, "axes": axes, "direction": direction}


def _grid(space: SearchSpace, name: str) -> tuple[np.ndarray, dict]:
    """Unit-cube coordinates of one parameter's grid and their values in user units."""
    p = space.parameters[space.names.index(name)]
    units = (
        (np.arange(len(p.choices)) + 0.5) / len(p.choices)
        if p.is_categorical
        else np.linspace(0, 1, CONTOUR_GRID)
    )
    values = [p.from_unit(u) for u in units]
    return units, {"values": values, "categorical": p.is_categorical, "log": bool(p.log)}


def compute_contour(space: SearchSpace, history: list, direction: str, ranked: list[str], seed: int) -> dict:
    """Posterior mean on a grid for each pair of the most important parameters.

    The other parameters sit at the best trial that holds both (the incumbent may lack one of them in
    a conditional space); a grid cell where either is inactive (its parent set elsewhere) is None,
    missing rather than a value. A pair never held together by a complete trial has no surface.
    """
    complete = [(p, v) for p, v in history if v is not None and math.isfinite(v)]
    if len(space) < 2:
        return {"unavailable": "A contour needs at least two parameters."}
    if not complete:
        return {"unavailable": "No complete trial yet to fit the GP to."}
    model = fit_surrogate(space, history, direction, seed=seed)
    names = ranked[:CONTOUR_PARAMS]
    grids = {n: _grid(space, n) for n in names}
    mean: dict[str, dict[str, list]] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            base = _best_holding(complete, direction, a, b)
            if base is not None:
                mean.setdefault(a, {})[b] = _pair_mean(space, model, base, (a, grids[a][0]), (b, grids[b][0]))
    shown = [complete[i] for i in best_first_sample([v for _, v in complete], direction, CONTOUR_POINTS)]
    return {
        "params": names,
        "direction": direction,
        "grids": {n: g for n, (_, g) in grids.items()},
        "mean": mean,
        "points": {n: [p.get(n) for p, _ in shown] for n in names},  # None where inactive
    }


def _best_holding(complete: list, direction: str, a: str, b: str) -> dict | None:
    """The params of the best complete trial that holds both `a` and `b`; None when none does."""
    holding = [(p, v) for p, v in complete if a in p and b in p]
    if not holding:
        return None
    pick = min if direction == "minimize" else max
    return pick(holding, key=lambda pv: pv[1])[0]


def _pair_mean(space: SearchSpace, model, base: dict, x: tuple, y: tuple) -> list[list]:
    """(len(y grid), len(x grid)) posterior mean around `base`; NaN where a grid point lacks x or y."""
    (a, ua), (b, ub) = x, y
    X = np.tile(space.encode([base])[0], (len(ua) * len(ub), 1))
    X[:, space.names.index(a)] = np.tile(ua, len(ub))
    X[:, space.names.index(b)] = np.repeat(ub, len(ua))
    points = space.decode(X)
    m, _ = model.predict(points)
    held = np.array([a in p and b in p for p in points])
    return np.where(held, np.asarray(m, dtype=float), np.nan).reshape(len(ub), len(ua)).tolist()


def _other_objectives_importance(study: Study, space: SearchSpace, read: trial_sample.Sample) -> dict:
    """With several objectives, the importance for each one after the first (which `importance` holds)."""
    if not study.is_multi_objective:
        return {}
    rows = list(
        read.narrow(study.trials.completed()).filter(values__isnull=False).values_list("params", "values")
    )
    by_metric = {
        o["metric"]: compute_importance(
            space, [(p, v.get(o["metric"])) for p, v in rows], o["direction"], study.seed
        )
        for o in study.objectives[1:]
    }
    return {OBJECTIVE_IMPORTANCE: by_metric}


def compute_curve_band(study: Study, read: trial_sample.Sample) -> dict:
    """Per step, the 10th, 50th and 90th percentile of every trial's learning curve (of an even
    spread of them past `trial_sample.READ_ALL`: `read`)."""
    rows = TrialMetric.objects.filter(
        trial__in=read.narrow(study.trials.all()), attempt_id=F("trial__attempt_id")
    )
    data = np.array(list(rows.values_list("step", "value", "trial_id")), dtype=float).reshape(-1, 3)
    if not len(data):
        return {"step": [], "p10": [], "median": [], "p90": [], "n_trials": 0}
    data = data[np.argsort(data[:, 0], kind="stable")]
    steps, starts = np.unique(data[:, 0], return_index=True)
    every = max(1, len(steps) // MAX_POINTS)
    groups = np.split(data[:, 1], starts[1:])[::every]
    p10, median, p90 = np.array([np.percentile(g, [10, 50, 90]) for g in groups]).T
    return {
        "step": steps[::every].astype(int).tolist(),
        "p10": p10.tolist(),
        "median": median.tolist(),
        "p90": p90.tolist(),
        "n_trials": len(np.unique(data[:, 2])),
    }


def analyze(study: Study) -> int:
    """Compute and store every analysis of `study`; returns the number of finished trials it used.

    Records how long it took, which widens the window between analyses (services.enqueue_analysis).
    """
    started = time.monotonic()
    space = study.space.spec()
    history, _pending = optimizer_inputs(study)
    if study.objectives:  # the surfaces are drawn for the first objective (mirrored in `value`)
        metric = study.objectives[0]["metric"]
        history = [(params, v.get(metric) if isinstance(v, dict) else None) for params, v in history]
    read = trial_sample.sample(study, representative=True)  # past READ_ALL trials, an even spread of them
    n_trials = read.n_finished
    complete = list(
        read.narrow(study.trials.completed()).filter(value__isnull=False).values_list("params", "value")
    )
    imp = compute_importance(space, complete, study.direction, study.seed)
    ranked = sorted(space.names, key=lambda n: -imp["ped_anova"]["params"].get(n, {}).get("importance", 0.0))
    results = {
        "importance": imp,
        **_other_objectives_importance(study, space, read),
        "posterior": compute_posterior(space, history, study.direction, acquisition_kind(study)),
        "contour": compute_contour(space, history, study.direction, ranked, study.seed),
        "curve_band": compute_curve_band(study, read),
        recommendation.KIND: recommendation.compute(study),
    }
    with transaction.atomic():  # pages see every part of one analysis, or none of it
        for kind, data in _json_safe(results).items():
            StudyAnalysis.objects.update_or_create(
                study=study, kind=kind, defaults={"data": data, "n_trials": n_trials}
            )
        Study.objects.filter(pk=study.pk).update(analysis_seconds=round(time.monotonic() - started, 3))
    return n_trials


def _json_safe(value: Any) -> Any:
    """Plain JSON for every database: numpy scalars become floats, NaN and infinities None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def analyze_if_stale(study_id: int) -> int | None:
    """The worker's entry: analyze unless the stored analysis already covers every finished trial."""
    study = Study.objects.select_related("space").filter(pk=study_id).first()
    if study is None:
        return None
    stored = (
        StudyAnalysis.objects.filter(study=study, kind="importance")
        .values_list("n_trials", flat=True)
        .first()
    )
    if covers_every_result(study, stored):
        return None
    return analyze(study)


def covers_every_result(study: Study, analysed: int | None) -> bool:
    """Whether an analysis of `analysed` finished trials (None: none stored) is the study's latest."""
    return analysed == StudySummary.objects.get(study=study).n_finished
