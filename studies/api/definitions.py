"""`GET /api/studies/{id}/definition.yaml|json`: a study's definition as `POST /api/studies/` takes it."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request

from studies import access, definition_files


@extend_schema(responses={200: OpenApiTypes.STR})
@api_view(["GET"])
def study_definition(request: Request, study_id: int, kind: str) -> HttpResponse:
    study = access.study_for_user(request.user, study_id)
    text = definition_files.render(study, kind)
    return HttpResponse(text, content_type=definition_files.CONTENT_TYPES[kind])
