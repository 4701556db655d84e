"""The study page's plot endpoints: one JSON figure (or its data as CSV) per plot kind."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse

from studies import access
from studies.exports import neutralise
from studies.plots.data import PLOTS, PlotQuery
from studies.plots.parts import for_objective
from studies.web.poll_cache import shared_between_viewers


@login_required
@shared_between_viewers
def study_plot(request, study_id: int, kind: str, fmt: str = "json"):
    """`{"figure", "n_trials", "state"}` for the page's JS, or the plot's data as CSV."""
    study = access.study_for_user(request.user, study_id)
    plot = PLOTS.get(kind)
    query = PlotQuery(request.GET)
    if plot is None or not query.is_valid():
        raise Http404("No such plot or bad options.")
    if query.cleaned_data["objective"] not in ("", *(o["metric"] for o in study.objectives)):
        raise Http404("The study has no such objective.")
    data = for_objective(plot.read(study), query.cleaned_data["objective"])
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-{kind}.csv"'
        header, rows = plot.table(data)
        writer = csv.writer(response)
        writer.writerow(map(neutralise, header))
        writer.writerows(map(neutralise, row) for row in rows)
        return response
    figure = plot.figure(data, query.cleaned_data)
    pending = data.get("pending", False)  # a stopped study's analysis to come: the page asks again
    return JsonResponse(
        {"figure": figure, "n_trials": data["n_trials"], "state": study.state, "pending": pending}
    )
