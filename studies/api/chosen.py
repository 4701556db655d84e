"""`POST /api/studies/{id}/chosen/`: mark the trial a team picked (or clear it), as the page does."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access, services
from studies.api.serializers import StudyDetailSerializer, study_body
from studies.services.controls import MAX_CHOICE_NOTE


class ChoiceSerializer(serializers.Serializer):
    trial = serializers.IntegerField(
        allow_null=True, min_value=0, help_text="The trial's number in the study; null clears the choice."
    )
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=MAX_CHOICE_NOTE)


@extend_schema(request=ChoiceSerializer, responses={200: StudyDetailSerializer, 400: dict})
@api_view(["POST"])
def study_chosen(request: Request, study_id: int) -> Response:
    """Mark a complete (and feasible) trial as the study's chosen one with a note; audited."""
    study = access.study_for_user(request.user, study_id, edit=True)
    body = ChoiceSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    number = body.validated_data["trial"]
    trial = study.trials.filter(number=number).first() if number is not None else None
    if number is not None and trial is None:
        raise ValidationError({"trial": [f"the study has no trial {number}"]})
    try:
        services.choose_trial(request.user, study, trial, body.validated_data["note"])
    except services.ChoiceError as error:
        raise ValidationError({"trial": [str(error)]}) from error
    return Response(study_body(study))
