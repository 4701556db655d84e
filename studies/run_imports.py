"""Runs that finished elsewhere, from a CSV file, recorded as trials of a study: W&B's runs table
("Export as CSV") or any spreadsheet whose header names the study's parameters and metrics.

A column named like a parameter is that parameter (its text read as the parameter's type); the
study's metric columns give the result. W&B's columns are optional: `State` (`finished` is complete;
`crashed`, `failed` and `killed` are failed; any other run is skipped), `Created` and `Runtime` (the
run's times), `Notes` (the trial's note) and `Name` (with `Created`, the run's identity). Every row is
checked before anything is stored, so a file with a bad row stores nothing and names every bad row.
Each row becomes `added_trials.add_trial` with a request id derived from the run, so importing the
same file again adds only the runs it did not have.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils.dateparse import parse_datetime

from studies.added_trials import Result, TrialRefused, add_trial
from studies.definition_files import MAX_FILE
from studies.models import Study, StudySummary, Trial
from studies.notes import MAX_NOTE
from studies.objectives import ResultError, metric_names, result_fields
from studies.optimizers import SearchSpace
from studies.optimizers.parameters import Parameter

MAX_CSV = MAX_FILE  # bytes: 1 MiB holds thousands of runs, and no study's budget needs more at once
# Runs in one file: each is stored under the study's lock in the one request, so a bigger file would
# hold up the study's results for longer than a page waits (about 5 ms a run); split a larger export.
MAX_RUNS = 1_000
MAX_LISTED = 50  # bad rows named in one answer
WANDB_COLUMNS = frozenset({"Name", "State", "Notes", "Created", "Runtime"})
FAILED = frozenset({"crashed", "failed", "killed"})


class ImportRefused(Exception):
    """Nothing was stored. `errors` by what is at fault (`file`, `rows`, `study`); `conflict` when the
    file is fine but the study cannot take it (its budget, a run imported before with other values)."""

    def __init__(self, errors: dict[str, list[str]], *, conflict: bool = False) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors
        self.conflict = conflict


class FileTooLarge(ImportRefused):
    def __init__(self) -> None:
        super().__init__({"file": [f"the file is larger than {MAX_CSV // 2**20} MiB"]})


class _BadRow(ValueError):
    """What is wrong with one row (the caller adds its number)."""


@dataclass(frozen=True)
class Run:
    """One row to record: the trial's parameters, result and note, and the run's request id."""

    row: int
    params: dict
    result: Result
    request_id: str
    note: str = ""


@dataclass
class Imported:
    added: list[int] = field(default_factory=list)  # the new trials' numbers
    already_there: int = 0
    skipped: int = 0

    def as_dict(self) -> dict:
        return {
            "added": len(self.added),
            "already_there": self.already_there,
            "skipped": self.skipped,
            "trials": self.added,
        }


def import_runs(user, study: Study, raw: bytes) -> Imported:
    """Record the file's finished and failed runs as trials of `study`, all or none."""
    runs, skipped = _read_runs(study, raw)
    imported = Imported(skipped=skipped)
    _check_budget(study, runs)
    with transaction.atomic():  # a run refused while storing takes the ones before it back out
        for run in runs:
            trial, new = _record(user, study, run)
            if new:
                imported.added.append(trial.number)
            else:
                imported.already_there += 1
    return imported


def _record(user, study: Study, run: Run) -> tuple[Trial, bool]:
    try:
        trial, new = add_trial(user, study, run.params, run.result, run.request_id)
    except TrialRefused as refused:
        if "request_id" in refused.errors:
            message = f"row {run.row}: this run was imported before with other values ({refused})"
            raise ImportRefused({"rows": [message]}, conflict=True) from None
        raise ImportRefused(refused.errors, conflict=refused.conflict) from None
    if new and run.note:
        Trial.objects.filter(pk=trial.pk).update(note=run.note)  # part of the record, as W&B kept it
    return trial, new


def _check_budget(study: Study, runs: list[Run]) -> None:
    """Refuse at once a file the budget cannot hold, rather than after storing part of it."""
    ids = {run.request_id for run in runs}
    stored = set(study.trials.filter(suggestion__request_id__in=ids).values_list("suggestion__request_id"))
    new = len(ids - {request_id for (request_id,) in stored})
    room = study.max_trials - StudySummary.objects.values_list("n_trials", flat=True).get(study=study)
    if new > room:
        budget = f"the study's budget of {study.max_trials} trials has room for {room}"
        message = f"the file holds {new} new runs but {budget}"
        raise ImportRefused({"study": [message]}, conflict=True)


def _read_runs(study: Study, raw: bytes) -> tuple[list[Run], int]:
    """The runs to record and how many rows were skipped (runs that had not ended); ImportRefused
    naming every bad row."""
    rows = csv.reader(io.StringIO(_text(raw), newline=""))
    try:
        header, header_row = _header(rows)
        sheet = _sheet(study, header)
        runs, skipped, errors = [], 0, []
        first: dict[str, Run] = {}  # by request id
        for number, cells in enumerate(rows, start=header_row + 1):
            if _blank(cells):
                continue
            if len(runs) + skipped + len(errors) == MAX_RUNS:  # blank rows aside, as a spreadsheet's
                message = f"the file holds more than {MAX_RUNS:,} rows: split it and import each part"
                raise ImportRefused({"file": [message]})
            try:
                run = _run(sheet, cells, number)
                _not_repeated(first, run)
            except _BadRow as error:
                errors.append(f"row {number}: {error}")
            else:
                runs += [run] if run else []
                skipped += run is None
    except csv.Error as error:
        raise ImportRefused({"file": [f"not a CSV file: {error}"]}) from None
    if errors:
        more = [f"and {len(errors) - MAX_LISTED} more rows"] if len(errors) > MAX_LISTED else []
        raise ImportRefused({"rows": errors[:MAX_LISTED] + more})
    return runs, skipped


def _header(rows) -> tuple[list[str] | None, int]:
    """The first row that is not blank and its number, as a spreadsheet numbers rows (from 1): a
    spreadsheet may leave rows empty above the header."""
    for number, cells in enumerate(rows, start=1):
        if not _blank(cells):
            return cells, number
    return None, 0


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _not_repeated(first: dict[str, Run], run: Run | None) -> None:
    """A run named twice with other values is a bad row, not one "imported before" (nothing was)."""
    if run is None:
        return
    earlier = first.setdefault(run.request_id, run)
    if (earlier.params, earlier.result) != (run.params, run.result):
        raise _BadRow(f"the same run as row {earlier.row} (its Name and Created) with other values")


def _text(raw: bytes) -> str:
    if len(raw) > MAX_CSV:
        raise FileTooLarge()
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's UTF-8 starts with a byte order mark
    except UnicodeDecodeError:
        raise ImportRefused({"file": ["not UTF-8 text: export the CSV as UTF-8"]}) from None
    if "\x00" in text:
        raise ImportRefused({"file": ["the file holds a NUL character: it is not a CSV file"]})
    return text


@dataclass(frozen=True)
class _Sheet:
    """What every row is read with: the study, its space, and the index of each column read."""

    study: Study
    space: SearchSpace
    columns: dict[str, int]
    width: int  # columns in the header


def _sheet(study: Study, header: list[str] | None) -> _Sheet:
    """The columns the import reads, by name; the metrics' columns are required."""
    if not header:
        raise ImportRefused({"file": ["the file is empty: it needs a header row of column names"]})
    space = study.space.spec()
    parameters = space.names
    names = _names(header, set(parameters) | set(metric_names(study)))
    wanted = set(parameters) | set(metric_names(study)) | WANDB_COLUMNS
    twice = sorted({name for name in names if name in wanted and names.count(name) > 1})
    written = {name.lower(): name for name in names}  # a column named in another case than the study's
    recased = [n for n in [*parameters, *metric_names(study)] if n not in names and n.lower() in written]
    missing = [metric for metric in metric_names(study) if metric not in names and metric not in recased]
    problems = [f"column {name!r} appears more than once" for name in twice]
    problems += [f"column {written[n.lower()]!r} is not {n!r}: names are case-sensitive" for n in recased]
    problems += [f"no column for the metric {metric!r}" for metric in missing]
    if not set(names) & set(parameters):
        problems.append(f"no column names a parameter of the study ({', '.join(parameters)})")
    if len(names) == 1 and ";" in names[0]:
        problems = ["the header is a single column: separate the columns with commas"]
    if problems:
        raise ImportRefused({"file": problems})
    columns = {name: i for i, name in enumerate(names) if name in wanted}
    return _Sheet(study, space, columns, len(names))


def _names(header: list[str], study_names: set[str]) -> list[str]:
    """The header's column names: W&B's columns in any case (a spreadsheet's `state`), since a `state`
    read as no column would record its crashed runs as complete; but only where W&B's own spelling is
    absent (its export may hold a config key `name` beside `Name`), and never a study's own name."""
    names = [name.strip() for name in header]
    for column in WANDB_COLUMNS - set(names):
        spelt = [
            i for i, name in enumerate(names) if name.lower() == column.lower() and name not in study_names
        ]
        if len(spelt) == 1:
            names[spelt[0]] = column
    return names


def _run(sheet: _Sheet, cells: list[str], number: int) -> Run | None:
    """The row's run; None for a run that had not ended (running, queued, preempted). A row shorter
    than the header ends in empty cells (as spreadsheets write them); a longer one is misaligned."""
    if len(cells) > sheet.width:
        raise _BadRow(f"{len(cells)} cells, but the header names {sheet.width} columns")
    row = {name: cells[i] if i < len(cells) else "" for name, i in sheet.columns.items()}
    state = row.get("State", "").strip().lower() or "finished"
    if state != "finished" and state not in FAILED:
        return None
    params = _params(sheet.space, row)
    started, finished = _times(row)
    if state in FAILED:
        result = Result(
            state=Trial.State.FAILED, started=started, finished=finished, error=f"the run {state} (imported)"
        )
    else:
        result = _complete(sheet.study, row, started, finished)
    note = "" if row.get("Notes", "").strip() in ("", "-") else row["Notes"]
    if len(note) > MAX_NOTE:
        raise _BadRow(f"the note is longer than {MAX_NOTE:,} characters")
    return Run(number, params, result, _request_id(row, params, result), note)


def _params(space: SearchSpace, row: dict[str, str]) -> dict:
    """The row's value of each parameter its branch makes active (an inactive one may be empty, and
    is left out when given: the run did not use it)."""
    given = {}
    for parameter in space.parameters:
        if row.get(parameter.name, "").strip():
            given[parameter.name] = _value(parameter, row[parameter.name])
    active = space.active_names(given)
    missing = [name for name in active if name not in given]
    if missing:
        raise _BadRow(f"no value for the parameter{'s' * (len(missing) > 1)} {', '.join(missing)}")
    params = {name: given[name] for name in active}
    try:
        space.validate_params(params)
    except ValueError as error:
        raise _BadRow(str(error)) from None
    return params


def _value(parameter: Parameter, text: str):
    """A cell's text as the parameter's value: a number for int and float; for a categorical the
    choice it spells, compared as the space compares choices (`"1"` the text if that is a choice, else
    the number 1; `true` a boolean), so a formula-looking cell is only ever a text."""
    if parameter.is_categorical:
        for candidate in _readings(text):
            try:
                return parameter.choices[parameter.choice_index(candidate)]
            except ValueError:
                continue
        raise _BadRow(
            f"parameter {parameter.name!r}: {text!r} is not one of the choices {list(parameter.choices)}"
        )
    number = _number(text, f"parameter {parameter.name!r}")
    if parameter.type == "int" and number.is_integer():
        return int(number)
    return number


def _readings(text: str) -> list:
    """What a cell may mean, the text itself first."""
    stripped = text.strip()
    readings: list = [text, stripped]
    if stripped.lower() in ("true", "false"):
        readings.append(stripped.lower() == "true")
    try:
        number = float(stripped)
    except ValueError:
        return readings
    if math.isfinite(number):
        readings.append(int(number) if number.is_integer() else number)
    return readings


def _number(text: str, what: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise _BadRow(f"{what}: {text.strip()[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise _BadRow(f"{what}: {text.strip()!r} is not a finite number")
    return number


def _not_finite(text: str) -> bool:
    try:
        return not math.isfinite(float(text.strip()))
    except ValueError:
        return False


def _complete(study: Study, row: dict[str, str], started, finished) -> Result:
    """A finished run's result; one whose metric is NaN or infinite (a diverged run, common in a
    sweep) is recorded as failed, as a worker records a job that returned it."""
    values = {}
    for metric in metric_names(study):
        if not row.get(metric, "").strip():
            raise _BadRow(f"no value for the metric {metric}")
        if _not_finite(row[metric]):
            why = f"the run's {metric} is {row[metric].strip()}, not a finite number (imported)"
            return Result(state=Trial.State.FAILED, started=started, finished=finished, error=why)
        values[metric] = _number(row[metric], f"metric {metric!r}")
    if not study.objectives:
        return Result(
            state=Trial.State.COMPLETE, value=values[study.metric], started=started, finished=finished
        )
    try:
        fields = result_fields(study.objectives, study.constraints, values)
    except ResultError as error:
        raise _BadRow(str(error)) from None
    return Result(state=Trial.State.COMPLETE, started=started, finished=finished, **fields)


def _times(row: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    """(started, finished) from W&B's `Created` and `Runtime` (seconds); None where not given."""
    created = row.get("Created", "").strip()
    if not created:
        return None, None
    try:
        started = parse_datetime(created)
    except ValueError:
        started = None
    if started is None:
        raise _BadRow(f"Created {created[:40]!r} is not a date and time (2026-11-01T10:00:00Z)")
    seconds = _number(row["Runtime"], "Runtime") if row.get("Runtime", "").strip() else None
    if seconds is not None and not 0 <= seconds <= 10**9:
        raise _BadRow(f"Runtime {seconds:g} is not a number of seconds a run took")
    try:  # stored in UTC, where a time at either end of the calendar does not fit
        started = started.astimezone(UTC) if started.tzinfo else started.replace(tzinfo=UTC)
        return started, None if seconds is None else started + timedelta(seconds=seconds)
    except OverflowError:
        raise _BadRow(f"Created {created[:40]!r} (with its Runtime) is outside the years 1 to 9999") from None


def _request_id(row: dict[str, str], params: dict, result: Result) -> str:
    """The run's identity: W&B's run name and creation time, else what the row records (so the same
    row imported twice is one trial; a spreadsheet's identical rows are one run). A name alone is no
    identity: W&B lets runs share one (a spreadsheet's `baseline` twice)."""
    if row.get("Name", "").strip() and row.get("Created", "").strip():
        identity = ["wandb", row["Name"].strip(), row.get("Created", "").strip()]
    else:
        identity = ["row", params, result.state, result.value, result.values, str(result.started)]
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
    return "run-" + digest[:40]
