"""Ask/tell routes for external workers (`hpoweb_client.py` speaks them); editors and owners only.

    POST /api/studies/{id}/ask/          {"worker"?, "request_id"?} -> 200 a claimed trial, or 204
    POST /api/trials/{id}/report/        {"attempt_id", "step", "value"} -> {"prune", "reason"}
    POST /api/trials/{id}/heartbeat/     {"attempt_id"}
    POST /api/trials/{id}/tell/          {"attempt_id", "value"} or {"attempt_id", "state", "error"}
                                         or, for a study with objectives, {"attempt_id", "values"}

A repeated call answers 200 and changes nothing; one that contradicts what is stored answers 409.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access, external
from studies.api.serializers import OUTCOME_STATES, FiniteFloat
from studies.models import Attempt
from studies.objectives import ResultError, result_fields
from studies.services import Outcome, WorkerIdentity


class AskSerializer(serializers.Serializer):
    worker = serializers.CharField(max_length=120, required=False, default="client")
    request_id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", required=False, default="")


class HandoutSerializer(serializers.Serializer):
    trial_id = serializers.IntegerField(source="trial.pk")
    attempt_id = serializers.IntegerField(source="attempt.pk")
    number = serializers.IntegerField(source="trial.number")
    params = serializers.JSONField(source="trial.params")
    heartbeat_s = serializers.SerializerMethodField()

    def get_heartbeat_s(self, _handout) -> float:
        """How often to heartbeat: a quarter of the grace after which the reaper gives up on a worker."""
        return settings.HPOWEB["GRACE_S"] / 4


class AttemptSerializer(serializers.Serializer):
    attempt_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ReportSerializer(AttemptSerializer):
    step = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    value = FiniteFloat()


class TellSerializer(AttemptSerializer):
    """`value` for a study defined by one metric; `values` (every objective and constraint metric)
    for one defined with objectives (the `study` in the context)."""

    value = FiniteFloat(required=False)
    values = serializers.DictField(child=FiniteFloat(), required=False)
    state = serializers.ChoiceField(choices=OUTCOME_STATES, default="complete")
    error = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)

    def validate(self, data: dict) -> dict:
        if data["state"] != "complete":
            return data
        study = self.context["study"]
        key = "values" if study.objectives else "value"
        if key not in data:
            raise serializers.ValidationError({key: f"a complete trial needs its {key}"})
        if study.objectives:
            try:
                data["result"] = result_fields(study.objectives, study.constraints, data["values"])
            except ResultError as error:
                raise serializers.ValidationError({"values": str(error)}) from None
        return data

    def outcome(self) -> Outcome:
        data = self.validated_data
        if "result" in data:
            result = data["result"]
            return Outcome(Attempt.State.COMPLETE, value=result["value"], values=result["values"])
        if data["state"] == "complete":
            return Outcome(Attempt.State.COMPLETE, value=data["value"])
        default = {"failed": "the external worker reported a failure", "pruned": "pruned"}[data["state"]]
        return Outcome(data["state"], reason=data["error"] or default)


def _conflict(error: external.Conflict) -> Response:
    return Response({"error": str(error)}, status=409)


@extend_schema(request=AskSerializer, responses={200: HandoutSerializer, 204: None, 409: None})
@api_view(["POST"])
def ask(request: Request, study_id: int) -> Response:
    study = access.study_for_user(request.user, study_id, edit=True)
    body = AskSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    name = f"external {request.user.username}/{body.validated_data['worker']}"
    worker = WorkerIdentity(name, request.META.get("REMOTE_ADDR", ""), None)
    try:
        handout = external.ask(study, worker, body.validated_data["request_id"])
    except external.Conflict as error:
        return _conflict(error)
    if handout is None:
        return Response(status=204)
    return Response(HandoutSerializer(handout).data)


@extend_schema(request=ReportSerializer, responses={200: None, 409: None})
@api_view(["POST"])
def report(request: Request, trial_id: int) -> Response:
    trial = access.trial_by_id_for_user(request.user, trial_id, edit=True)
    body = ReportSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        prune, reason = external.report(trial, data["attempt_id"], data["step"], data["value"])
    except external.Conflict as error:
        return _conflict(error)
    return Response({"prune": prune, "reason": reason})


@extend_schema(request=AttemptSerializer, responses={200: None, 409: None})
@api_view(["POST"])
def heartbeat(request: Request, trial_id: int) -> Response:
    trial = access.trial_by_id_for_user(request.user, trial_id, edit=True)
    body = AttemptSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        external.heartbeat(trial, body.validated_data["attempt_id"])
    except external.Conflict as error:
        return _conflict(error)
    return Response({"ok": True})


@extend_schema(request=TellSerializer, responses={200: None, 409: None})
@api_view(["POST"])
def tell(request: Request, trial_id: int) -> Response:
    trial = access.trial_by_id_for_user(request.user, trial_id, edit=True)
    body = TellSerializer(data=request.data, context={"study": trial.study})
    body.is_valid(raise_exception=True)
    try:
        external.tell(trial, body.validated_data["attempt_id"], body.outcome())
    except external.Conflict as error:
        return _conflict(error)
    return Response({"ok": True})
