"""A study's objectives and constraints: their definition, the results that must carry them, and the
Pareto set of its trials.

A study defined with `objectives` stores them (and its `constraints`) and its trials store `values`
(every metric the job reported) and `feasible`; `metric`/`direction` mirror the first objective and
`value` holds the first objective's value, so pages that show one number keep working. A study
defined with `metric`/`direction` stores no objectives and works exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from django.db.models import FloatField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from studies.front_sort import front_ranks
from studies.optimizers.parameters import is_finite_number
from studies.optimizers.pareto import constraint_violation

MAX_OBJECTIVES = 3
MAX_CONSTRAINTS = 10
MAX_METRIC_LENGTH = 64
MAX_METRICS = 100  # in one result
DIRECTIONS = ("minimize", "maximize")


class ResultError(ValueError):
    """A result that does not carry what the study's objectives and constraints need."""


def check_objectives(data: Mapping[str, Any], add) -> tuple[list[dict], list[dict]]:
    """The normalized objectives and constraints of a definition; `add(path, message)` records each
    problem. Objectives replace `metric`/`direction`, so giving both is refused."""
    objectives, constraints = data.get("objectives"), data.get("constraints")
    if objectives is None:
        if constraints:
            add("constraints", "constraints need `objectives` in place of `metric`/`direction`")
        return [], []
    for key in ("metric", "direction"):
        if data.get(key) is not None:
            add(key, f"give either `objectives` or `{key}`, not both")
    out = _objectives(objectives, add)
    bounds = _constraints(constraints if constraints is not None else [], add)
    names = [o["metric"] for o in out] + [c["metric"] for c in bounds]
    for i, (path, name) in enumerate(zip(_paths(out, bounds), names, strict=True)):
        if name in names[:i]:
            add(path, f"metric {name!r} is named more than once")
    return out, bounds


def _paths(objectives: list, constraints: list) -> list[str]:
    return [f"objectives.{i}.metric" for i in range(len(objectives))] + [
        f"constraints.{i}.metric" for i in range(len(constraints))
    ]


def _objectives(given: Any, add) -> list[dict]:
    if not isinstance(given, list) or not given:
        add("objectives", "must be a non-empty list of {metric, direction}")
        return []
    if len(given) > MAX_OBJECTIVES:
        add("objectives", f"at most {MAX_OBJECTIVES} objectives, got {len(given)}")
        return []
    out = []
    for i, item in enumerate(given):
        if not isinstance(item, Mapping) or set(item) - {"metric", "direction"}:
            add(f"objectives.{i}", "must be an object with `metric` and `direction`")
            continue
        metric = _metric(item.get("metric"), f"objectives.{i}.metric", add)
        direction = item.get("direction", "minimize")
        if direction not in DIRECTIONS:
            add(f"objectives.{i}.direction", f"must be one of {list(DIRECTIONS)}")
        elif metric:
            out.append({"metric": metric, "direction": direction})
    return out


def _constraints(given: Any, add) -> list[dict]:
    if not isinstance(given, list) or len(given) > MAX_CONSTRAINTS:
        add("constraints", f"must be a list of at most {MAX_CONSTRAINTS} {{metric, max, min}}")
        return []
    out = []
    for i, item in enumerate(given):
        if not isinstance(item, Mapping) or set(item) - {"metric", "max", "min"}:
            add(f"constraints.{i}", "must be an object with `metric` and `max` and/or `min`")
            continue
        metric = _metric(item.get("metric"), f"constraints.{i}.metric", add)
        bounds = {key: item[key] for key in ("min", "max") if item.get(key) is not None}
        if not bounds:
            add(f"constraints.{i}", "needs `max`, `min` or both")
        for key, bound in bounds.items():
            if not is_finite_number(bound):
                add(f"constraints.{i}.{key}", "must be a finite number")
                break
        else:
            if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
                add(f"constraints.{i}.min", "must not be above `max`")
            elif metric and bounds:
                out.append({"metric": metric, **{k: float(v) for k, v in bounds.items()}})
    return out


def _metric(name: Any, path: str, add) -> str | None:
    if (
        not isinstance(name, str)
        or not 1 <= len(name) <= MAX_METRIC_LENGTH
        or not name.strip()
        or "\x00" in name
    ):
        add(path, f"must be a metric name of 1 to {MAX_METRIC_LENGTH} characters, not blank and without NUL")
        return None
    return name


def metric_names(study) -> list[str]:
    """The metrics a study's trials are judged by: its one metric, or every objective and then every
    constraint (a trial of such a study carries them in `values`)."""
    if not study.objectives:
        return [study.metric]
    return [o["metric"] for o in study.objectives] + [c["metric"] for c in study.constraints]


def result_fields(objectives: list[dict], constraints: list[dict], values: Any) -> dict:
    """The trial fields a complete result sets: `values` (finite numbers, every objective and
    constraint metric present), `value` (the first objective's) and `feasible`. ResultError otherwise."""
    if not isinstance(values, Mapping):
        raise ResultError(f"the result must be a JSON object of metrics, got {str(values)[:60]!r}")
    needed = [o["metric"] for o in objectives] + [c["metric"] for c in constraints]
    if len(values) > MAX_METRICS:
        raise ResultError(f"at most {MAX_METRICS} metrics in a result, got {len(values)}")
    missing = [name for name in needed if name not in values]
    if missing:
        raise ResultError(f"the result lacks {', '.join(map(repr, missing))}")
    clean = {}
    for name, value in values.items():
        if not is_finite_number(value):
            raise ResultError(f"metric {str(name)[:64]!r} is {str(value)[:40]!r}, not a finite number")
        if not isinstance(name, str) or len(name) > MAX_METRIC_LENGTH or "\x00" in name:
            raise ResultError(
                f"metric names are texts of at most {MAX_METRIC_LENGTH} characters, without NUL"
            )
        clean[name] = float(value)
    feasible = constraint_violation(clean, constraints) == 0.0
    return {"values": clean, "value": clean[objectives[0]["metric"]], "feasible": feasible}


def front_rows(study) -> list[list]:
    """[number, each objective's value] of a study's complete, feasible, non-dominated trials in
    number order, counted afresh from every complete trial (`StudySummary` keeps them as results come)."""
    rows, columns = complete_columns(study, "number")
    front = front_mask(*result_arrays(study.objectives, study.constraints, columns))
    metrics = [o["metric"] for o in study.objectives]
    return [
        [number, *(float(columns[m][i]) for m in metrics)]
        for i, ((number,), on_front) in enumerate(zip(rows, front, strict=True))
        if on_front
    ]


def complete_columns(study, *fields: str, trials=None) -> tuple[list[tuple], dict[str, np.ndarray]]:
    """The `fields` of a study's complete trials that carry values (of `trials`, a sample of them,
    when given), in number order, and each objective's and constraint's value as a column (NaN where
    missing): the database extracts the numbers, one query with no JSON parsed here (which costs
    100 ms at 10,000 trials)."""
    metrics = [o["metric"] for o in study.objectives] + [c["metric"] for c in study.constraints]
    return metric_columns((study.trials if trials is None else trials).order_by("number"), metrics, *fields)


def metric_columns(
    trials, metrics: list[str], *fields: str, complete_only: bool = True
) -> tuple[list[tuple], dict[str, np.ndarray]]:
    """`complete_columns` of any trials queryset (in its order), for the metrics given; every trial
    of it with `complete_only=False` (NaN where a trial has no values)."""
    extracted = [Cast(KeyTextTransform(metric, "values"), FloatField()) for metric in metrics]
    if complete_only:
        trials = trials.filter(state="complete", values__isnull=False)
    rows = list(trials.values_list(*fields, *extracted))
    table = np.array([row[len(fields) :] for row in rows], dtype=float).reshape(len(rows), len(metrics))
    return [row[: len(fields)] for row in rows], {m: table[:, j] for j, m in enumerate(metrics)}


def result_arrays(objectives: list[dict], constraints: list[dict], columns: dict[str, np.ndarray]) -> tuple:
    """(losses (n, k), violation (n,)) of `columns` (metric: values), as `objective_losses` and
    `violations` of studies.optimizers.pareto define them, a column at a time: stored values are
    finite numbers (`result_fields`), so a missing metric is the only NaN."""
    n = len(next(iter(columns.values()))) if columns else 0
    losses = np.zeros((n, len(objectives)))
    for j, o in enumerate(objectives):
        losses[:, j] = columns[o["metric"]] * (-1.0 if o["direction"] == "maximize" else 1.0)
    violation = np.zeros(n)
    for c in constraints:
        if c.get("max") is not None:
            violation += np.maximum(0.0, columns[c["metric"]] - c["max"])
        if c.get("min") is not None:
            violation += np.maximum(0.0, c["min"] - columns[c["metric"]])
    return losses, violation


def front_mask(losses: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """The feasible, finite points no other point dominates (`pareto_mask`, by `front_ranks`)."""
    ok = np.all(np.isfinite(losses), axis=1) & (violation <= 0)  # NaN violation: not feasible
    mask = np.zeros(len(losses), dtype=bool)
    mask[np.flatnonzero(ok)[front_ranks(losses[ok]) == 0]] = True
    return mask
