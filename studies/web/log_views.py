"""A command job's kept output, downloadable from its trial's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from studies import access
from studies.models import AttemptLog


@login_required
def attempt_log(request, study_id: int, number: int, attempt_number: int) -> HttpResponse:
    """The whole kept log as a text file (a huge output keeps its head and tail; the gap is marked)."""
    trial = access.trial_for_user(request.user, study_id, number)
    log = AttemptLog.objects.filter(attempt__trial=trial, attempt__number=attempt_number).first()
    if log is None:
        raise Http404("No log for this attempt.")
    response = HttpResponse(log.text, content_type="text/plain; charset=utf-8")
    name = f"study{trial.study_id}-trial{trial.number}-attempt{attempt_number}.log"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
