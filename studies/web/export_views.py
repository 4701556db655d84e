"""Study downloads from the pages: CSV (narrowed like the leaderboard), JSON and the offline
HTML report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest

from studies import access, exports, leaderboard
from studies.plots import report

NARROWING = ("filter", "state", "cols")


@login_required
def study_export(request, study_id, kind):
    """The whole study, or (CSV with `filter`, `state` or `cols`) the rows and columns of that
    leaderboard (`studies.leaderboard`)."""
    study = access.study_for_user(request.user, study_id)
    if kind != "csv" or not any(key in request.GET for key in NARROWING):
        return exports.streaming_response(request.user, study, kind)
    try:
        board = leaderboard.read(study, request.GET)
    except ValueError as error:
        return _bad_request(str(error))
    if board.error:
        return _bad_request(f"Bad filter or columns: {board.error}")
    columns = None if board.cols is None else board.columns
    return exports.streaming_response(request.user, study, kind, board.trials, columns)


def _bad_request(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@login_required
def study_report(request, study_id):
    study = access.study_for_user(request.user, study_id)
    return report.report_response(request.user, study)
