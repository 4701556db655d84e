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
from studies.api.serializers import StudySerializer, study_body
from studies.models import Study
from studies.optimizers import SearchSpace


def _editable_project(user, name: str | None):
    projects = access.editable_projects(user)
    project = projects.filter(name=name).first() if name else projects.first()
    if project is None:
        raise ValidationError({"project": f"You cannot create studies in a project named {name!r}."})
    return project


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
    project = _editable_project(request.user, request.query_params.get("project"))
    if int(request.META.get("CONTENT_LENGTH") or 0) > imports.MAX_UPLOAD:
        raise ValidationError({"document": f"larger than {imports.MAX_UPLOAD // 2**20} MiB"})
    try:
        # Read from the stream: `request.body` would refuse anything over DATA_UPLOAD_MAX_MEMORY_SIZE.
        document = imports.read_document(request.read())
        study = imports.import_study(request.user, project, document, request.query_params.get("name", ""))
    except imports.ImportFailed as error:
        raise ValidationError({"document": str(error)}) from None
    return Response(study_body(study), status=status.HTTP_201_CREATED)


class WarmStartSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    project = serializers.CharField(required=False, help_text="Default: the source study's project.")
    max_trials = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, help_text="New trials."
    )
    space = serializers.DictField(required=False, help_text="A compatible space; default: the source's.")
    start = serializers.BooleanField(default=False)

    def validate_name(self, name: str) -> str:
        if Study.objects.filter(name=name).exists():
            raise serializers.ValidationError("A study with this name already exists.")
        return name

    def validate_space(self, space: dict) -> dict:
        try:
            return SearchSpace.from_dict(space).to_dict()
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


@extend_schema(request=WarmStartSerializer, responses={201: StudySerializer})
@api_view(["POST"])
def study_warm_start(request: Request, study_id: int) -> Response:
    source = access.study_for_user(request.user, study_id)
    body = WarmStartSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    project = _editable_project(request.user, data.get("project", source.project.name))
    fields = {
        "name": data["name"],
        "project": project,
        "max_trials": data.get("max_trials", source.max_trials),
    }
    study = imports.warm_start(request.user, source, fields, data.get("space"), start=data["start"])
    return Response(study_body(study), status=status.HTTP_201_CREATED)
