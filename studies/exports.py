"""A study as CSV and as JSON, streamed: rows are read with `iterator(chunk_size)` and written as they come,
so a 100,000-trial study never sits in memory. Attempts and learning-curve points are read in the same
(trial number, attempt number, step) order as the trials and merged in, three queries in all.

The JSON document (`FORMAT`, `VERSION`) is what `studies.imports` reads back.
"""

from __future__ import annotations

import csv
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from studies.leaderboard import ROW_FIELDS
from studies.models import Attempt, Study, StudySummary, Trial, TrialMetric
from studies.services import audit

FORMAT = "hpoweb-study"
VERSION = 1
CHUNK = 2000
LINES_PER_CHUNK = 200

TRIAL_FIELDS = (
    "number",
    "state",
    "params",
    "value",
    "created",
    "started",
    "finished",
    "worker",
    "error",
    "n_attempts",
    "suggestion",
    "note",
)
ATTEMPT_FIELDS = ("number", "state", "worker", "host", "pid", "claimed", "heartbeat", "ended", "reason")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def iso(moment: datetime | float | None) -> str | None:
    """ISO 8601 for the files we write, from a datetime or from epoch milliseconds (as plots carry times)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment / 1000, UTC)
    return moment.isoformat()


def filename(study: Study, extension: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in study.name)[:80] or "study"
    return f"{safe}.{extension}"


# --- CSV ------------------------------------------------------------------------------------------


class _Line:
    """csv.writer writes into this and gets the line back, so each row can be yielded at once."""

    def write(self, text: str) -> str:
        return text


def csv_lines(study: Study, trials: QuerySet | None = None) -> Iterator[str]:
    """One row per trial (of `trials`, a filtered `study.trials`, when given): number, state, value,
    each objective's and constraint's value, feasible and on the Pareto front (a study defined with
    objectives), each parameter, times, attempts, worker, error."""
    names = list(study.space.parameters.values_list("name", flat=True))
    metrics = [o["metric"] for o in study.objectives] + [c["metric"] for c in study.constraints]
    front = set(StudySummary.pareto_numbers(study)) if study.objectives else set()
    writer = csv.writer(_Line())
    yield writer.writerow(
        [
            "number",
            "state",
            "value",
            *(neutralise(f"value_{m}") for m in metrics),
            *(["feasible", "pareto"] if metrics else []),
            *(neutralise(f"param_{n}") for n in names),
            "created",
            "started",
            "finished",
            "duration_s",
            "attempts",
            "worker",
            "error",
        ]
    )
    rows = (
        (study.trials if trials is None else trials)
        .order_by("number")
        .values_list(
            "number",
            "state",
            "value",
            "params",
            "created",
            "started",
            "finished",
            "n_attempts",
            "worker",
            "error",
            "values",
            "feasible",
        )
    )
    for (
        number,
        state,
        value,
        params,
        created,
        started,
        finished,
        n_attempts,
        worker,
        error,
        values,
        feasible,
    ) in rows.iterator(chunk_size=CHUNK):
        duration = (finished - started).total_seconds() if started and finished else None
        row = [number, state, value, *((values or {}).get(m) for m in metrics)]
        row += [feasible, number in front] if metrics else []
        row += [*(params.get(n) for n in names), iso(created), iso(started)]
        row += [iso(finished), duration, n_attempts, worker, error]
        yield writer.writerow([neutralise(cell) for cell in row])


def column_csv_lines(trials: QuerySet, columns: list) -> Iterator[str]:
    """One row per trial of `trials` in number order: its number, then the chosen leaderboard columns
    (`studies.leaderboard.Column`), as the page shows them but unrounded."""
    writer = csv.writer(_Line())
    yield writer.writerow(["number", *(neutralise(column.csv_name) for column in columns)])
    lines = []  # written a few hundred at a time: one response chunk per line costs as much as the line
    for row in trials.order_by("number").values(*ROW_FIELDS).iterator(chunk_size=CHUNK):
        cells = [neutralise(_csv_cell(column.read(row))) for column in columns]
        lines.append(writer.writerow([row["number"], *cells]))
        if len(lines) == LINES_PER_CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def _csv_cell(value):
    return iso(value) if isinstance(value, datetime) else value


# --- JSON -----------------------------------------------------------------------------------------


def study_header(study: Study) -> dict:
    """Everything about the study except its trials."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported": timezone.now().isoformat(),
        "study": {
            "name": study.name,
            "project": study.project.name,
            "owner": study.owner.username,
            "state": study.state,
            "state_reason": study.state_reason,
            "created": iso(study.created),
            "note": study.note,
            **{field: getattr(study, field) for field in Study.DEFINITION_FIELDS},
            **{field: getattr(study, field) for field in Study.OBJECTIVE_FIELDS if study.objectives},
            **({"pareto": StudySummary.pareto_numbers(study)} if study.is_multi_objective else {}),
            "chosen": _chosen(study),
        },
        "space": study.space.to_dict(),
    }


def _chosen(study: Study) -> dict | None:
    """The trial a team chose (its number and note), as the API shows it."""
    if study.chosen_trial_id is None:
        return None
    number = Trial.objects.filter(pk=study.chosen_trial_id).values_list("number", flat=True).first()
    return {"number": number, "note": study.chosen_note, "at": iso(study.chosen_at)}


def _by_trial(rows: Iterable[dict]) -> Iterator[tuple[int, list[dict]]]:
    """(trial id, its rows) for rows already ordered by trial number."""
    return ((trial_id, list(group)) for trial_id, group in groupby(rows, key=itemgetter("trial_id")))


def trial_documents(study: Study) -> Iterator[dict]:
    """Each trial with its attempts and each attempt's learning curve, in number order."""
    fields = (*TRIAL_FIELDS, "values", "feasible") if study.objectives else TRIAL_FIELDS
    trials = study.trials.order_by("number").values("id", "attempt__number", *fields)
    attempts = (
        Attempt.objects.filter(trial__study=study)
        .order_by("trial__number", "number")
        .values("trial_id", *ATTEMPT_FIELDS)
    )
    points = (
        TrialMetric.objects.filter(trial__study=study)
        .order_by("trial__number", "attempt__number", "step")
        .values("trial_id", "attempt__number", "step", "value")
    )
    attempt_groups = _by_trial(attempts.iterator(chunk_size=CHUNK))
    point_groups = _by_trial(points.iterator(chunk_size=CHUNK))
    next_attempts, next_points = next(attempt_groups, None), next(point_groups, None)
    for trial in trials.iterator(chunk_size=CHUNK):
        trial_id = trial.pop("id")
        own_attempts, own_points = [], []
        if next_attempts and next_attempts[0] == trial_id:
            own_attempts, next_attempts = next_attempts[1], next(attempt_groups, None)
        if next_points and next_points[0] == trial_id:
            own_points, next_points = next_points[1], next(point_groups, None)
        curves: dict[int, list] = {}
        for point in own_points:
            curves.setdefault(point["attempt__number"], []).append([point["step"], point["value"]])
        trial["attempt"] = trial.pop("attempt__number")
        for key in ("created", "started", "finished"):
            trial[key] = iso(trial[key])
        trial["attempts"] = [
            {
                **{k: a[k] for k in ATTEMPT_FIELDS},
                **{k: iso(a[k]) for k in ("claimed", "heartbeat", "ended")},
                "curve": curves.get(a["number"], []),
            }
            for a in own_attempts
        ]
        yield trial


def json_chunks(study: Study) -> Iterator[str]:
    """The whole study as one JSON document, written a trial at a time."""
    header = json.dumps(study_header(study), indent=None)
    yield header[:-1] + ', "trials": ['
    for i, trial in enumerate(trial_documents(study)):
        yield ("," if i else "") + "\n" + json.dumps(trial)
    yield "\n]}\n"


# --- responses ------------------------------------------------------------------------------------

_KINDS = {"csv": ("text/csv; charset=utf-8", csv_lines), "json": ("application/json", json_chunks)}


def streaming_response(
    user, study: Study, kind: str, trials: QuerySet | None = None, columns: list | None = None
) -> StreamingHttpResponse:
    """The export as a download, recorded in the audit log; `kind` is "csv" or "json"; for CSV only,
    `trials` (a filtered `study.trials`) narrows the rows and `columns` (leaderboard columns) chooses
    what each row holds."""
    content_type, chunks = _KINDS[kind]
    audit(user, "export", study, kind)
    if kind == "json":
        body = chunks(study)
    elif columns is not None:
        body = column_csv_lines(study.trials if trials is None else trials, columns)
    else:
        body = csv_lines(study, trials)
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(study, kind)}"'
    response["Cache-Control"] = "no-store"
    return response


def zip_response(user, studies) -> FileResponse:
    """Several studies' JSON exports in one zip, written to a spooled temporary file a trial at a time."""
    archive = tempfile.SpooledTemporaryFile(max_size=64 * 2**20)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for study in studies:
            with bundle.open(f"{study.pk}-{filename(study, 'json')}", "w") as entry:
                for chunk in json_chunks(study):
                    entry.write(chunk.encode())
            audit(user, "export", study, "json (admin bulk export)")
    archive.seek(0)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return FileResponse(archive, as_attachment=True, filename=f"hpoweb-studies-{stamp}.zip")
