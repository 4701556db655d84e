"""The self-contained HTML report of a study: settings, leaderboard and plots in one file that opens offline;
with several objectives also the Pareto front, the hypervolume, the Pareto set and the chosen trial.

plotly.js, the stylesheet and the drawing script are inlined; the data travels in `json_script`
blocks (escaped for HTML), and the figures come from the same builders as the study page, whose
labels are already escaped for plotly's HTML-ish text.
"""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from studies import exports, pareto_board
from studies.models import Study, StudySummary
from studies.plots.data import PLOTS, PlotQuery
from studies.services import audit

REPORT_PLOTS = {  # kind: the section's title, as on the study page
    "history": "Optimization history",
    "parallel": "Parallel coordinates",
    "slice": "Slices",
    "edf": "Distribution of values (EDF)",
    "curves": "Learning curves",
    "importance": "Parameter importance",
}
SEVERAL_OBJECTIVES_PLOTS = {"pareto": "Pareto front", "hypervolume": "Hypervolume over trials"}
LEADERBOARD_SIZE = 50
PARETO_ROWS = 500  # of the Pareto set, in number order
# Allows only what the report inlines, for the copy served by us (a downloaded file has no header).
REPORT_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "worker-src blob:"
)


@cache
def _inline(path: str) -> str:
    """One of our static files' text, to inline; a script cannot end its <script> element early."""
    with open(finders.find(path), encoding="utf-8") as handle:
        text = handle.read()
    return mark_safe(text.replace("</", "<\\/") if path.endswith(".js") else text)


def _plot_kinds(study: Study) -> dict[str, str]:
    return {**SEVERAL_OBJECTIVES_PLOTS, **REPORT_PLOTS} if study.is_multi_objective else REPORT_PLOTS


def _best_trials(study: Study) -> list:
    """The leaderboard's first trials: by value, those that break a constraint after those that keep
    them all (as the study's best is the best feasible one); by Pareto rank with several objectives."""
    if not study.is_multi_objective:
        complete = study.trials.completed()
        kept = list(complete.exclude(feasible=False).leaderboard(study.direction)[:LEADERBOARD_SIZE])
        broken = complete.filter(feasible=False).leaderboard(study.direction)
        return kept + list(broken[: LEADERBOARD_SIZE - len(kept)])
    complete = study.trials.completed()
    _page, trials = pareto_board.ranked_page(
        study, study.objectives[0]["metric"], 1, LEADERBOARD_SIZE, complete
    )
    return trials


def _pareto_set(study: Study, metrics: list[str], names: list[str]) -> list[list]:
    """Rows (number, each objective's and constraint's value, each parameter) of the Pareto set."""
    front = StudySummary.pareto_numbers(study)[:PARETO_ROWS]
    trials = (
        study.trials.filter(number__in=front).order_by("number").values_list("number", "values", "params")
    )
    return [[n, *(v.get(m) for m in metrics), *(p.get(name) for name in names)] for n, v, p in trials]


def report_html(study: Study) -> str:
    options = PlotQuery({})
    options.is_valid()
    kinds = _plot_kinds(study)
    figures = {}
    for kind in kinds:
        plot = PLOTS[kind]
        figures[f"figure-{kind}"] = plot.figure(plot.read(study), options.cleaned_data)
    names = list(study.space.parameters.values_list("name", flat=True))
    metrics = [o["metric"] for o in study.objectives] + [c["metric"] for c in study.constraints]
    best = _best_trials(study)
    for trial in best:
        trial.metric_values = [(trial.values or {}).get(m) for m in metrics]
    header = exports.study_header(study)
    return render_to_string(
        "reports/study_report.html",
        {
            "study": study,
            "settings": header["study"],
            "space": header["space"],
            "names": names,
            "rows": [(t, [t.params.get(n) for n in names]) for t in best],
            "counts": [(state, n) for state, n in study.summary.counts().items() if n],
            "figures": figures,
            "plot_kinds": kinds,
            "metrics": metrics if study.is_multi_objective else [],
            "pareto_set": _pareto_set(study, metrics, names) if study.is_multi_objective else None,
            "pareto_rows": PARETO_ROWS,
            "chosen": header["study"]["chosen"],
            "generated": timezone.now(),
            "plotly_js": _inline("vendor/plotly-strict-3.7.0.min.js"),
            "report_js": _inline("js/report.js"),
            "css": _inline("css/hpoweb.css"),
        },
    )


def report_response(user, study: Study) -> HttpResponse:
    response = HttpResponse(report_html(study), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(study, "html")}"'
    response["Content-Security-Policy"] = REPORT_POLICY
    audit(user, "export", study, "html report")
    return response
