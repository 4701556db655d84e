"""Study downloads from the pages: CSV (narrowed by the leaderboard's filter), JSON and the offline
HTML report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest

from studies import access, exports, trial_filter
from studies.plots import report


@login_required
def study_export(request, study_id, kind):
    study = access.study_for_user(request.user, study_id)
    expression = request.GET.get("filter", "")
    if kind != "csv" or not expression.strip():
        return exports.streaming_response(request.user, study, kind)
    try:
        trials = study.trials.filter(trial_filter.parse(expression, study))
    except trial_filter.FilterError as error:
        return HttpResponseBadRequest(f"Bad filter: {error}", content_type="text/plain; charset=utf-8")
    return exports.streaming_response(request.user, study, kind, trials)


@login_required
def study_report(request, study_id):
    study = access.study_for_user(request.user, study_id)
    return report.report_response(request.user, study)
