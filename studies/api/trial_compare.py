"""`GET /api/trials/?ids=ID,ID`: several trials at once, each with its study id and attempts.

The same ids and the same all-or-nothing access as the comparison page: a bad list is a 400 naming
`ids`, a trial the caller may not read makes the whole answer a 404.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access, trial_compare
from studies.api.trial_controls import TrialDetailSerializer

IDS = OpenApiParameter("ids", str, description="Comma-separated trial ids (at most 12).", required=True)


@extend_schema(parameters=[IDS], responses={200: TrialDetailSerializer(many=True)})
@api_view(["GET"])
def trial_list(request: Request) -> Response:
    try:
        ids = trial_compare.parse_ids(request.query_params.getlist("ids"))
    except trial_compare.TrialIdsError as error:
        return Response({"ids": [str(error)]}, status=400)
    trials = access.trials_for_user(request.user, ids)
    prefetch_related_objects(trials, "attempts")
    return Response(TrialDetailSerializer(trials, many=True).data)
