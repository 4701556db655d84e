"""Bringing trials into a study: an export of another instance (`import_study`), or a warm start from
another study here (`warm_start`).

An imported study keeps its trials, attempts, learning curves, values and notes; ids, owner and
project are this instance's. It never starts running by itself: a study exported while running is
imported paused, its queued and running trials come back queued (they run when it is resumed) and
their running attempts as interrupted.

A warm start copies the complete trials of a source study whose parameters fit the new space (the
same space, or a compatible one: every new parameter present with a value inside its new domain)
as COMPLETE trials numbered first, judged by the new study's objectives and constraints (value and
feasibility recomputed; a trial whose result lacks a metric they name is left out). They are
ordinary history, so every optimizer uses them through `services.optimizer_inputs` unchanged;
`max_trials` counts them, so the budget asked for is raised by their number and the new study still
runs that many new trials.
"""

from __future__ import annotations

import json
import math
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from studies import exports
from studies.definition import (
    DEFAULTS,
    INT32_MAX,
    LIMITS,
    Definition,
    DefinitionError,
    check_definition,
    definition_of,
)
from studies.definition_files import LONE_SURROGATE, is_text, strings, unique_keys
from studies.models import Attempt, Project, Study, StudySummary, Trial, TrialMetric
from studies.objectives import ResultError, result_fields
from studies.optimizers import SearchSpace
from studies.services import audit, create_study, enqueue_analysis, start_study

BATCH = 1000
MAX_UPLOAD = 200 * 1024 * 1024  # bytes of an exported study, on the page and through the API
_NOTE_TOO_LONG = f"a note may hold at most {LIMITS['note'].high:,} characters"


class ImportFailed(ValueError):
    """The document is not an hpoweb study export this version understands; the message says why, and
    `errors` holds the definition's problems by path when the study's definition is what is wrong."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {"document": [message]}


def _when(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ImportFailed(f"{value!r} is not an ISO date-time")
    return parsed


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ImportFailed(message)


def _no_constant(name: str):
    """NaN and Infinity are not JSON, and no database stores them in a JSON column."""
    raise ValueError(f"{name} is not a JSON number")


def read_document(raw: bytes | str) -> dict:
    try:
        document = json.loads(raw, parse_constant=_no_constant, object_pairs_hook=unique_keys)
    except (ValueError, UnicodeDecodeError) as error:
        raise ImportFailed(f"not JSON: {error}") from None
    except RecursionError:
        raise ImportFailed("not JSON this instance reads: nested too deeply") from None
    _check(isinstance(document, dict), "the document must be a JSON object")
    _check(is_text(document), LONE_SURROGATE)
    _check(
        document.get("format") == exports.FORMAT, f"not an hpoweb study export (format {exports.FORMAT!r})"
    )
    _check(
        document.get("version") == exports.VERSION, f"unsupported export version {document.get('version')!r}"
    )
    for key, kind in (("study", dict), ("space", dict), ("trials", list)):
        _check(isinstance(document.get(key), kind), f"{key!r} is missing or not a JSON {kind.__name__}")
    return document


def _definition(user, project: Project, document: dict, name: str) -> Definition:
    """The exported definition, checked like any new study's (paths as in the API)."""
    source = document["study"]
    data = {key: source[key] for key in DEFAULTS if key in source}
    if source.get("objectives"):  # `metric`/`direction` only mirror the first objective
        data.pop("metric", None), data.pop("direction", None)
    data.update(name=name, project=project, job=source.get("job"), space=document["space"])
    try:
        return check_definition(user, data)
    except DefinitionError as error:
        raise ImportFailed(f"the study's definition: {error}", error.errors) from None


def _trial(study: Study, space: SearchSpace, doc: dict, seen: set[int]) -> Trial:
    _check(isinstance(doc, dict), "each trial must be a JSON object")
    number = doc.get("number")
    _check(_count(number, 1) and number not in seen, f"trial number {number!r} is bad")
    seen.add(number)
    state = doc.get("state")
    _check(state in Trial.State.values, f"trial {number}: unknown state {state!r}")
    try:
        space.validate_params(doc.get("params"))
    except ValueError as error:
        raise ImportFailed(f"trial {number}: {error}") from None
    value = doc.get("value")
    _check(value is None or _finite(value), f"trial {number}: value {value!r} is not a finite number")
    results = _results(study, number, state, doc)
    n_attempts = doc.get("n_attempts") or 0
    _check(_count(n_attempts, 0), f"trial {number}: bad n_attempts {n_attempts!r}")
    _check(len(str(doc.get("note") or "")) <= LIMITS["note"].high, f"trial {number}: {_NOTE_TOO_LONG}")
    return Trial(
        study=study,
        number=number,
        params=doc["params"],
        state=Trial.State.QUEUED if state in Trial.QUEUED_OR_RUNNING else state,
        value=value,
        **results,
        started=_when(doc.get("started")),
        finished=_when(doc.get("finished")),
        worker=str(doc.get("worker") or "")[:200],
        error=str(doc.get("error") or ""),
        n_attempts=n_attempts,
        suggestion=doc.get("suggestion") if isinstance(doc.get("suggestion"), dict) else {},
        note=str(doc.get("note") or ""),
    )


def _results(study: Study, number: int, state: str, doc: dict) -> dict:
    """A complete trial of a study with objectives brings every metric, checked like a new result."""
    if not study.objectives or state != Trial.State.COMPLETE:
        return {}
    try:
        fields = result_fields(study.objectives, study.constraints, doc.get("values"))
    except ResultError as error:
        raise ImportFailed(f"trial {number}: {error}") from None
    return {"values": fields["values"], "feasible": fields["feasible"]}


def _count(value, low: int) -> bool:
    """An integer the database stores: `low` up to the 32-bit maximum."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= INT32_MAX


def _finite(value) -> bool:
    """A number that is a finite float (an integer like 10**400 is not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _is_point(point) -> bool:
    return isinstance(point, list) and len(point) == 2 and _count(point[0], -INT32_MAX) and _finite(point[1])


def _attempts(trial: Trial, docs) -> list[tuple[Attempt, list]]:
    where = f"trial {trial.number}"
    _check(isinstance(docs, list), f"{where}: attempts must be a list")
    out, numbers = [], set()
    for doc in docs:
        _check(isinstance(doc, dict) and _count(doc.get("number"), 1), f"{where}: bad attempt")
        _check(doc["number"] not in numbers, f"{where}: attempt {doc['number']} appears twice")
        numbers.add(doc["number"])
        state = doc.get("state")
        _check(state in Attempt.State.values, f"{where}: unknown attempt state {state!r}")
        _check(doc.get("pid") is None or _count(doc.get("pid"), 0), f"{where}: bad pid {doc.get('pid')!r}")
        claimed = _when(doc.get("claimed")) or trial.started or timezone.now()
        attempt = Attempt(
            trial=trial,
            number=doc["number"],
            state=Attempt.State.INTERRUPTED if state == Attempt.State.RUNNING else state,
            worker=str(doc.get("worker") or "")[:200],
            host=str(doc.get("host") or "")[:200],
            pid=doc.get("pid"),
            claimed=claimed,
            heartbeat=_when(doc.get("heartbeat")) or claimed,
            ended=_when(doc.get("ended")),
            reason=str(doc.get("reason") or ""),
        )
        curve = doc.get("curve") or []
        _check(isinstance(curve, list), f"{where}: a curve must be a list of [step, finite value] pairs")
        bad = next((point for point in curve if not _is_point(point)), None)
        _check(
            bad is None,
            f"{where}: curve point {str(bad)[:80]} is not [step, finite value] with an integer step "
            f"within ±{INT32_MAX:,}",
        )
        _check(len({step for step, _v in curve}) == len(curve), f"{where}: a curve repeats a step")
        out.append((attempt, curve))
    return out


@transaction.atomic
def import_study(user, project: Project, document: dict, name: str = "") -> Study:
    """A new study in `project` holding everything the export carried; ImportFailed says what is wrong."""
    source = document["study"]
    definition = _definition(user, project, document, name or str(source.get("name") or "imported study"))
    # After the definition, whose own texts are refused under their paths: PostgreSQL stores no NUL.
    _check(not any("\x00" in text for text in strings(document)), "a string holds a NUL character")
    state = source.get("state")
    _check(state in Study.State.values, f"unknown study state {state!r}")
    note = str(source.get("note") or "")
    _check(len(note) <= LIMITS["note"].high, f"the study's note: {_NOTE_TOO_LONG}")
    study = create_study(user, definition.space, definition.study_fields())
    space = SearchSpace.from_dict(definition.space)
    state = Study.State.PAUSED if state == Study.State.RUNNING else state
    Study.objects.filter(pk=study.pk).update(
        state=state, state_reason=str(source.get("state_reason") or ""), note=note
    )
    seen: set[int] = set()
    docs = document["trials"]
    for start in range(0, len(docs), BATCH):
        batch = docs[start : start + BATCH]
        trials = Trial.objects.bulk_create([_trial(study, space, doc, seen) for doc in batch])
        _store_attempts(trials, batch)
    StudySummary.recount(study)
    audit(user, "import", study, f"from an export of {source.get('name')!r}")
    study.refresh_from_db()
    enqueue_analysis(study)  # it arrives stopped with its results: nothing else would ask for one
    return study


def _store_attempts(trials: list[Trial], docs: list[dict]) -> None:
    pairs = [
        (trial, doc, _attempts(trial, doc.get("attempts", [])))
        for trial, doc in zip(trials, docs, strict=True)
    ]
    Attempt.objects.bulk_create([a for _t, _d, attempts in pairs for a, _c in attempts])
    points = []
    for trial, doc, attempts in pairs:
        trial.created = _when(doc.get("created")) or trial.created
        for attempt, curve in attempts:
            if attempt.number == doc.get("attempt"):
                trial.attempt = attempt
            points += [
                TrialMetric(trial=trial, attempt=attempt, step=int(s), value=float(v)) for s, v in curve
            ]
    # bulk_update, unlike create, keeps the exported creation times (auto_now_add would overwrite them).
    Trial.objects.bulk_update(trials, ["created", "attempt"])
    TrialMetric.objects.bulk_create(points)


def compatible_trials(source: Study, space: SearchSpace) -> list[Trial]:
    """The source's complete trials whose parameters, restricted to those the new space makes active
    for them (a value its conditions switch off is dropped), fit it."""
    fitting = []
    for trial in source.trials.completed().order_by("number"):
        params = {
            name: trial.params[name] for name in space.active_names(trial.params) if name in trial.params
        }
        try:
            space.validate_params(params)
        except ValueError:
            continue
        trial.params = params
        fitting.append(trial)
    return fitting


def carried_result(trial: Trial, source: Study, fields: dict) -> dict | None:
    """A copied trial's `value`, `values` and `feasible` under the new study's objectives and
    constraints (its feasibility judged by the new limits, its value that of the new first
    objective); None when its result lacks a metric they need."""
    measured = trial.values if trial.values is not None else {source.metric: trial.value}
    if fields.get("objectives"):
        try:
            return result_fields(fields["objectives"], fields.get("constraints") or [], measured)
        except ResultError:
            return None
    if measured.get(fields["metric"]) is None:
        return None
    return {"value": measured[fields["metric"]], "values": None, "feasible": None}


@transaction.atomic
def warm_start(user, source: Study, overrides: dict, *, start: bool = False) -> Study:
    """A new study (the source's definition, overridden by `overrides`) whose history starts with the
    source's complete trials that fit its space; DefinitionError lists what is wrong with it."""
    data = {**definition_of(source), **overrides}
    if "max_parallel" not in overrides and isinstance(data["max_trials"], int):
        # Fewer new trials than the source ran at once: run them all at once rather than refuse.
        data["max_parallel"] = max(1, min(source.max_parallel, data["max_trials"]))
    definition = check_definition(user, data)
    space = SearchSpace.from_dict(definition.space)
    fields = definition.study_fields()
    results = [(trial, carried_result(trial, source, fields)) for trial in compatible_trials(source, space)]
    copied = [(trial, result) for trial, result in results if result is not None]
    fields["max_trials"] += len(copied)
    if fields["max_trials"] > LIMITS["max_trials"].high:
        raise DefinitionError(
            {"max_trials": [f"with the {len(copied)} copied trials, above {LIMITS['max_trials'].high:,}"]}
        )
    study = create_study(user, definition.space, fields)
    Trial.objects.bulk_create(
        Trial(
            study=study,
            number=number,
            params=trial.params,
            state=Trial.State.COMPLETE,
            **result,
            started=trial.started,
            finished=trial.finished,
            worker=trial.worker,
            suggestion={"warm_start": f"study {source.name!r} trial {trial.number}"},
        )
        for number, (trial, result) in enumerate(copied, start=1)
    )
    StudySummary.recount(study)
    audit(user, "warm-start", study, f"{len(copied)} trials from {source.name!r}")
    if start:
        start_study(study)
    else:
        enqueue_analysis(study)  # a draft that holds results: nothing else would ask for its analysis
    return study
