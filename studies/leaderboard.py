"""A study's leaderboard as the query string asks for it: which trials (the filter expression and the
state), in which order, and which columns. The page and its CSV download read the same query, so a
shared address and its download show the same rows and columns.

    ?filter=lr < 0.01&state=complete&sort=-param:lr&cols=state,value,param:lr,worker

Column keys: `state`, `value` (a study with one metric; headed by the metric's name), `metric:NAME`
(each objective and constraint of a study defined with objectives), `feasible` (with constraints),
`param:NAME`, `worker`, `duration`, `started`, `finished`, `attempts`. Without `cols` the page shows
the default ones; an empty `cols` shows only the trial numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet

from studies import trial_filter, trial_sample
from studies.models import Study, StudySummary, Trial
from studies.objectives import metric_names

MAX_COLUMN_TEXT = 2000


class LeaderboardError(ValueError):
    """A filter or a column list that cannot be used; the message is for the person who gave it."""


# What a column reads from a trial: `row_of(trial)` on the page, `.values(*ROW_FIELDS)` for the CSV
# (no model instances for thousands of rows).
ROW_FIELDS = (
    "number", "state", "value", "values", "feasible", "params", "worker", "started", "finished", "n_attempts",
)  # fmt: skip


def row_of(trial: Trial) -> dict:
    return {field: getattr(trial, field) for field in ROW_FIELDS}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    read: Callable[[dict], Any]  # a row of ROW_FIELDS -> the cell
    order: str | None = None  # the ORM path it sorts by; None: not sortable
    csv_name: str = ""
    numeric: bool = False  # aligned right on the page
    title: str = ""  # the header's tooltip


def _metric_reader(name: str) -> Callable[[dict], Any]:
    return lambda row: (row["values"] or {}).get(name)


def _param_reader(name: str) -> Callable[[dict], Any]:
    return lambda row: row["params"].get(name)


def _param_column(name: str) -> Column:
    return Column(f"param:{name}", name, _param_reader(name), f"params__{name}", f"param_{name}", True)


def _duration(row: dict) -> float | None:
    if row["started"] is None or row["finished"] is None:
        return None
    return round((row["finished"] - row["started"]).total_seconds(), 3)


def metric_columns(study: Study) -> list[Column]:
    """`value` for a study with one metric; one column per objective and constraint otherwise."""
    if not study.objectives:
        return [Column("value", study.metric, lambda row: row["value"], "value", "value", True)]
    constraints = {c["metric"] for c in study.constraints}
    columns = [
        Column(
            f"metric:{n}", n, _metric_reader(n), f"values__{n}", f"metric_{n}", True,
            "constraint" if n in constraints else "objective",
        )
        for n in metric_names(study)
    ]  # fmt: skip
    if study.constraints:
        columns.append(Column("feasible", "feasible", lambda row: row["feasible"], "feasible", "feasible"))
    return columns


def columns_of(study: Study, parameter_names: list[str]) -> dict[str, Column]:
    """Every column the study's leaderboard offers, by key, in the order they are shown."""
    columns = [
        Column("state", "state", lambda row: row["state"], "state", "state"),
        *metric_columns(study),
        *(_param_column(name) for name in parameter_names),
        Column("worker", "worker", lambda row: row["worker"], "worker", "worker"),
        Column("duration", "duration", _duration, None, "duration_s", True),
        Column("started", "started", lambda row: row["started"], "started", "started"),
        Column("finished", "finished", lambda row: row["finished"], "finished", "finished"),
        Column("attempts", "attempts", lambda row: row["n_attempts"], "n_attempts", "attempts", True),
    ]
    return {column.key: column for column in columns}


HIDDEN_BY_DEFAULT = ("started", "finished", "attempts")


def chosen_columns(available: dict[str, Column], given: list[str] | None) -> list[Column]:
    """The columns `cols` names, in the order given (repeated `cols=` or comma-separated); the
    default ones when `given` is None. LeaderboardError names an unknown key."""
    if given is None:
        return [c for key, c in available.items() if key not in HIDDEN_BY_DEFAULT]
    text = ",".join(given)
    if len(text) > MAX_COLUMN_TEXT:
        raise LeaderboardError(f"The column list is too long (at most {MAX_COLUMN_TEXT} characters).")
    keys = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [key for key in keys if key not in available]
    if unknown:
        known = ", ".join(available)
        raise LeaderboardError(f"Unknown column {unknown[0][:80]!r}; this leaderboard has {known}.")
    return [available[key] for key in keys]


def columns_param(columns: list[Column]) -> str:
    """The `cols` value that chooses `columns` again (for links and the CSV download)."""
    return ",".join(column.key for column in columns)


class LeaderboardQuery(forms.Form):
    """The leaderboard's query string, validated like any other input (`cols` is read with getlist)."""

    sort = forms.CharField(required=False, max_length=80)
    state = forms.ChoiceField(required=False, choices=[("", "all"), *Trial.State.choices])
    page = forms.IntegerField(required=False, min_value=1)
    filter = forms.CharField(required=False)  # checked by `trial_filter`, which says what is wrong


@dataclass
class Leaderboard:
    parameter_names: list[str]
    trials: QuerySet  # filtered and ordered; empty when `error`
    available: dict[str, Column]
    columns: list[Column]
    sort: str
    state: str
    filter: str
    cols: str | None  # the `cols` to carry in links; None when the default columns show
    error: str = ""


def read(study: Study, query) -> Leaderboard:
    """The leaderboard `query` (a QueryDict) asks for. ValueError for a bad sort, state or page (a
    mistyped address); a bad filter or column list comes back as `error` with no trials."""
    form = LeaderboardQuery(query)
    if not form.is_valid():
        raise ValueError("Bad leaderboard query.")
    data = form.cleaned_data
    names = list(study.space.parameters.values_list("name", flat=True))
    available = columns_of(study, names)
    given = query.getlist("cols") if "cols" in query else None
    board = Leaderboard(
        names, study.trials.none(), available, [], data["sort"] or "best", data["state"], data["filter"], None
    )
    try:
        board.columns = chosen_columns(available, given)
        board.cols = None if given is None else columns_param(board.columns)
        trials = study.trials.filter(trial_filter.parse(data["filter"], study))
    except (LeaderboardError, trial_filter.FilterError) as error:
        board.error = str(error)
        return board
    if board.state:
        trials = trials.filter(state=board.state)
    board.trials = _ordered(trials, study, board.sort, available)
    return board


def pareto_metric(study: Study, sort: str) -> str | None:
    """For a study with several objectives ordered by Pareto rank (`best`, `pareto`, `pareto:<metric>`),
    the objective that orders each rank; None for any other order. ValueError: not an objective."""
    if not study.is_multi_objective or not (sort in ("best", "pareto") or sort.startswith("pareto:")):
        return None
    metric = sort.partition(":")[2] or study.objectives[0]["metric"]
    if metric not in [o["metric"] for o in study.objectives]:
        raise ValueError("Unknown sort.")
    return metric


def _ordered(trials: QuerySet, study: Study, sort: str, available: dict[str, Column]) -> QuerySet:
    key = sort.lstrip("-")
    if pareto_metric(study, sort):  # ordered by `pareto_board`, which reads them in one query
        return trials.order_by("number")
    if key == "best":
        return trials.leaderboard(study.direction)
    path = "number" if key == "number" else getattr(available.get(key), "order", None)
    if path is None:
        raise ValueError("Unknown sort.")
    expression = F(path)
    ordering = expression.desc(nulls_last=True) if sort.startswith("-") else expression.asc(nulls_last=True)
    return trials.order_by(ordering, "number")


# Orders an index serves over a study's trials: (study, value), (study, number), (study, state,
# number), (study, finished, number). Any other order (a parameter, a metric of several, the worker)
# and any filter expression sorts or scans every trial.
INDEXED_SORTS = ("best", "value", "number", "state", "finished")


class CountedPaginator(Paginator):
    """A paginator told its count (a study's summary keeps it), so that paging a million trials
    costs no COUNT over them."""

    def __init__(self, object_list, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # `count` is a cached property: this is its value


def page_of(study: Study, board: Leaderboard, page_number, page_size: int) -> tuple[Page, str]:
    """One page of `board` on the page (its CSV reads every trial), and a note ("" or what it read):
    past `trial_sample.READ_ALL` finished trials, a filter or an order no index serves runs over the
    plots' sample (which holds the best and the latest) and says so, instead of over every trial."""
    read = trial_sample.sample(study) if board.filter or board.sort.lstrip("-") not in INDEXED_SORTS else None
    if read is not None and read.numbers is not None:
        note = "sorted and filtered " + trial_sample.note(read)
        return _page_of_sample(read.narrow(board.trials), page_number, page_size), note
    if board.filter:
        return Paginator(board.trials, page_size).get_page(page_number), ""
    counts = StudySummary.objects.filter(study=study).values(*trial_sample.COUNTS).get()
    count = counts[f"n_{board.state}" if board.state else "n_trials"]
    return CountedPaginator(board.trials, page_size, count).get_page(page_number), ""


def _page_of_sample(trials: QuerySet, page_number, page_size: int) -> Page:
    """A page of a sampled board in three reads of about the sample's size, none scanning the study:
    the keys of the sample's trials that pass the filter (unordered: the (study, number) index), the
    same keys in the board's order (their number is the page count, which a paginator would ask of
    another scan of the sample), then the page's trials. Ordered with the study in its WHERE clause,
    SQLite served `ORDER BY value` from the (study, value) index, walking every trial of the study
    until it had a page (2.4 s for a filter few trials pass, at a million trials)."""
    passed = list(trials.order_by().values_list("pk", flat=True))
    ordered = Trial.objects.filter(trial_sample.AnyOf(F("pk"), passed)).order_by(*trials.query.order_by)
    keys = list(ordered.values_list("pk", flat=True))  # none passed: AnyOf reads nothing
    page = Paginator(keys, page_size).get_page(page_number)
    shown = Trial.objects.in_bulk(page.object_list)  # by key alone: the keys passed the filter
    page.object_list = [shown[pk] for pk in page.object_list]
    return page


def page_cell(value: Any) -> Any:
    """A value as the table shows it: floats to 6 significant digits, times to the second."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value
