"""Study exports through the API: `/api/studies/{id}/export.csv|json` or `export/?format=`, streamed."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from studies import access, exports


class CSVRenderer(BaseRenderer):
    """Lets a client ask for `Accept: text/csv`; the body itself is streamed by the view."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


@extend_schema(
    responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.OBJECT}
)
@api_view(["GET"])
@renderer_classes([JSONRenderer, CSVRenderer])
def study_export(request: Request, study_id: int, kind: str | None = None):
    """`export.csv` / `export.json`, or `export/` with `?format=csv|json` or an Accept header (JSON first)."""
    study = access.study_for_user(request.user, study_id)
    return exports.streaming_response(request.user, study, kind or request.accepted_renderer.format)
