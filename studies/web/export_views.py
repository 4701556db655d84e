"""Study downloads from the pages: CSV, JSON and the offline HTML report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

from studies import access, exports
from studies.plots import report


@login_required
def study_export(request, study_id, kind):
    study = access.study_for_user(request.user, study_id)
    return exports.streaming_response(request.user, study, kind)


@login_required
def study_report(request, study_id):
    study = access.study_for_user(request.user, study_id)
    return report.report_response(request.user, study)
