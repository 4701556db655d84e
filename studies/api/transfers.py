"""Import an exported study and warm-start a new study, through the API (the same services as the pages)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access, imports
from studies.api.serializers import StudyCreateSerializer, StudySerializer, study_body
from studies.definition import creatable_project


@extend_schema(
    request=OpenApiTypes.OBJECT,
    responses={201: StudySerializer},
    parameters=[
        OpenApiParameter("project", str, description="Project name; default: your first editable one."),
        OpenApiParameter("name", str, description="Study name; default: the exported one."),
    ],
)
@api_view(["POST"])
def study_import(request: Request) -> Response:
    """The body is a study exported by `/api/studies/{id}/export.json` (of this or another instance)."""
    project = creatable_project(request.user, request.query_params.get("project"))
    if int(request.META.get("CONTENT_LENGTH") or 0) > imports.MAX_UPLOAD:
        raise ValidationError({"document": f"larger than {imports.MAX_UPLOAD // 2**20} MiB"})
    try:
        # Read from the stream: `request.body` would refuse anything over DATA_UPLOAD_MAX_MEMORY_SIZE.
        document = imports.read_document(request.read())
        study = imports.import_study(request.user, project, document, request.query_params.get("name", ""))
    except imports.ImportFailed as error:
        raise ValidationError(error.errors) from None
    return Response(study_body(study), status=status.HTTP_201_CREATED)


class WarmStartSerializer(StudyCreateSerializer):
    """The body of a warm start, for the schema: any field of a new study's definition, replacing the
    source's (`max_trials` counts the new trials only); checked by `studies.definition` like a new
    study's. The source's complete trials that fit the space become the first trials."""

    project = serializers.CharField(required=False, help_text="Default: the source study's project.")
    space = serializers.DictField(required=False, help_text="A compatible space; default: the source's.")


@extend_schema(request=WarmStartSerializer, responses={201: StudySerializer})
@api_view(["POST"])
def study_warm_start(request: Request, study_id: int) -> Response:
    source = access.study_for_user(request.user, study_id)
    body = StudyCreateSerializer.split_start(request.data)
    body.definition.setdefault("project", source.project)
    study = imports.warm_start(request.user, source, body.definition, start=body.start)
    return Response(study_body(study), status=status.HTTP_201_CREATED)
