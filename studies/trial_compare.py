"""Trials side by side: the ids a user asked for, and the rows that show where those trials differ.

The page (`/trials/compare/?ids=...`) and the API (`/api/trials/?ids=...`) read the same ids; the
page lays the trials out as columns, one row per parameter and fact, and marks the rows that differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects

from studies.models import Attempt, AttemptLog, Trial, TrialMetric
from studies.objectives import metric_names

MAX_COMPARED_TRIALS = 12
_ID = re.compile(r"[0-9]{1,12}")


class TrialIdsError(ValueError):
    """The `ids` query string is not a short list of trial ids; the message says why, for a person."""


def parse_ids(values: list[str]) -> list[int]:
    """Trial ids from `?ids=1,2,3` (or a form's repeated `ids=`), in the order given, repeats dropped."""
    ids: list[int] = []
    for part in ",".join(values).split(","):
        part = part.strip()
        if not part:
            continue
        if not _ID.fullmatch(part):
            raise TrialIdsError(f"{part[:20]!r} is not a trial id: give ids like ?ids=12,15.")
        if int(part) not in ids:
            ids.append(int(part))
    if not ids:
        raise TrialIdsError("Choose at least one trial to compare.")
    if len(ids) > MAX_COMPARED_TRIALS:
        raise TrialIdsError(f"Compare at most {MAX_COMPARED_TRIALS} trials at once ({len(ids)} given).")
    return ids


@dataclass(frozen=True)
class Row:
    """One line of the comparison: a label, one shown value per trial, and whether they differ."""

    label: str
    values: list
    differs: bool


def make_row(label: str, values: list) -> Row:
    """Differences are judged on the stored values; floats are shown to 6 significant digits."""
    shown = [f"{v:.6g}" if isinstance(v, float) else v for v in values]
    return Row(label, shown, len({repr(v) for v in values}) > 1)


def param_rows(trials: list[Trial]) -> list[Row]:
    """Every parameter any of the trials has, in first-seen order; a missing one shows as None."""
    names = list(dict.fromkeys(name for trial in trials for name in trial.params))
    return [make_row(name, [trial.params.get(name) for trial in trials]) for name in names]


def _attempt_summary(trial: Trial) -> str:
    return ", ".join(f"#{a.number} {a.state} on {a.worker or '?'}" for a in trial.attempts.all()) or "—"


def load_attempts(trials: list[Trial]) -> None:
    """Every trial's attempts in one query, each with `has_log` (a command job's kept output)."""
    kept = AttemptLog.objects.filter(attempt=OuterRef("pk"))
    attempts = Attempt.objects.annotate(has_log=Exists(kept)).order_by("number")
    prefetch_related_objects(trials, Prefetch("attempts", queryset=attempts))


def fact_rows(trials: list[Trial]) -> list[Row]:
    """What happened to each trial: its study, goal, state, timing and attempts (`load_attempts` first)."""
    return [
        make_row("study", [trial.study.name for trial in trials]),
        make_row("objectives", [goal(trial.study) for trial in trials]),
        make_row("state", [trial.state for trial in trials]),
        make_row("duration (s)", [_rounded(trial.duration_s) for trial in trials]),
        make_row("attempts", [_attempt_summary(trial) for trial in trials]),
        make_row("note", [trial.note for trial in trials]),
    ]


def goal(study) -> str:
    """`loss (minimize)`, or every objective and then the constraints: `error (minimize), latency
    (minimize); memory <= 8`."""
    if not study.objectives:
        return f"{study.metric} ({study.direction})"
    objectives = ", ".join(f"{o['metric']} ({o['direction']})" for o in study.objectives)
    signs = (("min", ">="), ("max", "<="))
    bounds = [
        f"{c['metric']} {sign} {c[key]:g}" for c in study.constraints for key, sign in signs if key in c
    ]
    return objectives + ("; " + ", ".join(bounds) if bounds else "")


def _metrics(trial: Trial) -> dict:
    """Every metric the trial's result carried (its study's one metric for a single-metric study)."""
    if trial.study.objectives:
        return trial.values or {}
    return {} if trial.value is None else {trial.study.metric: trial.value}


def metric_rows(trials: list[Trial]) -> list[Row]:
    """One row per metric: the studies' objectives and constraints first, then any other metric a
    result carried, in first-seen order; then feasibility, when a study has constraints."""
    studies = [trial.study for trial in trials]
    named = [name for study in studies for name in metric_names(study)]
    reported = [name for trial in trials for name in _metrics(trial)]
    names = list(dict.fromkeys([*named, *reported]))
    rows = [make_row(name, [_metrics(trial).get(name) for trial in trials]) for name in names]
    if any(s.constraints for s in studies):
        rows.append(make_row("feasible", [t.feasible if t.study.constraints else None for t in trials]))
    return rows


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def curves(trials: list[Trial]) -> dict[int, list[tuple[int, float]]]:
    """Each trial's learning curve (the attempt that counts), by trial id, in one query."""
    points: dict[int, list[tuple[int, float]]] = {trial.pk: [] for trial in trials}
    # A queued trial's kept points are an earlier attempt's, as on the trial page.
    attempt_ids = [t.attempt_id for t in trials if t.attempt_id and t.state != Trial.State.QUEUED]
    rows = TrialMetric.objects.filter(attempt_id__in=attempt_ids).order_by("trial_id", "step")
    for trial_id, step, value in rows.values_list("trial_id", "step", "value"):
        points[trial_id].append((step, value))
    return points
