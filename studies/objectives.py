"""A study's objectives and constraints: their definition, the results that must carry them, and the
Pareto set of its trials.

A study defined with `objectives` stores them (and its `constraints`) and its trials store `values`
(every metric the job reported) and `feasible`; `metric`/`direction` mirror the first objective and
`value` holds the first objective's value, so pages that show one number keep working. A study
defined with `metric`/`direction` stores no objectives and works exactly as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from studies.optimizers.pareto import constraint_violation, objective_losses, pareto_mask, violations

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
            if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
                add(f"constraints.{i}.{key}", "must be a finite number")
                break
        else:
            if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
                add(f"constraints.{i}.min", "must not be above `max`")
            elif metric and bounds:
                out.append({"metric": metric, **{k: float(v) for k, v in bounds.items()}})
    return out


def _metric(name: Any, path: str, add) -> str | None:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_METRIC_LENGTH:
        add(path, f"must be a metric name of 1 to {MAX_METRIC_LENGTH} characters")
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
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ResultError(f"metric {str(name)[:64]!r} is {str(value)[:40]!r}, not a finite number")
        if not isinstance(name, str) or len(name) > MAX_METRIC_LENGTH:
            raise ResultError(f"metric names are texts of at most {MAX_METRIC_LENGTH} characters")
        clean[name] = float(value)
    feasible = constraint_violation(clean, constraints) == 0.0
    return {"values": clean, "value": clean[objectives[0]["metric"]], "feasible": feasible}


def pareto_numbers(study) -> list[int]:
    """The numbers of a study's complete, feasible, non-dominated trials, in number order."""
    rows = list(study.trials.completed().order_by("number").values_list("number", "values"))
    results = [values for _, values in rows]
    front = pareto_mask(objective_losses(study.objectives, results), violations(study.constraints, results))
    return [number for (number, _), on_front in zip(rows, front, strict=True) if on_front]
