"""The self-contained HTML report of a study: settings, leaderboard and plots in one file that opens offline.

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

from studies import exports
from studies.models import Study
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
LEADERBOARD_SIZE = 50
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


def report_html(study: Study) -> str:
    options = PlotQuery({})
    options.is_valid()
    figures = {}
    for kind in REPORT_PLOTS:
        plot = PLOTS[kind]
        figures[f"figure-{kind}"] = plot.draw(plot.read(study), options.cleaned_data)
    names = list(study.space.parameters.values_list("name", flat=True))
    best = study.trials.completed().leaderboard(study.direction)[:LEADERBOARD_SIZE]
    header = exports.study_header(study)
    return render_to_string(
        "reports/study_report.html",
        {
            "study": study,
            "settings": header["study"],
            "space": header["space"],
            "names": names,
            "rows": [(t, [t.params.get(n) for n in names]) for t in best],
            "counts": study.trials.values_list("state", flat=True),
            "figures": figures,
            "plot_kinds": REPORT_PLOTS,
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
