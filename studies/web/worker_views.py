"""The workers page: each worker's host, queues, current trial and last sign of life, with its health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studies import access
from studies.services import db_now
from studies.worker_health import worker_health


@login_required
def worker_list(request):
    """Workers are shared by every project; a trial is named only to those who may see its study."""
    rows = worker_health(db_now())
    visible = set(access.visible_studies(request.user).values_list("pk", flat=True))
    template = (
        "studies/_worker_table.html" if request.headers.get("HX-Request") else "studies/worker_list.html"
    )
    return render(request, template, {"rows": rows, "visible": visible})
