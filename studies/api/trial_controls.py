"""Per-trial API routes by trial id: read a trial with its attempts, cancel it, retry it.

    GET  /api/trials/{id}/          the trial and every attempt with its worker and exit reason
    POST /api/trials/{id}/cancel/   queued or running -> cancelled (a running job stops at its next heartbeat)
    POST /api/trials/{id}/retry/    failed, cancelled or pruned -> queued again, as a new attempt

A control that does not apply to the trial's state answers 409 and changes nothing.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access, services
from studies.api.serializers import TrialSerializer
from studies.models import Attempt, Trial


class AttemptDetailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["id", "number", "state", "worker", "host", "pid", "claimed", "heartbeat", "ended", "reason"]


class TrialDetailSerializer(TrialSerializer):
    """A trial with its study id and attempts (and, as every trial, `values` and `feasible` when its
    study has objectives)."""

    study = serializers.IntegerField(source="study_id", read_only=True)
    attempts = AttemptDetailSerializer(many=True, read_only=True)

    class Meta(TrialSerializer.Meta):
        fields = [
            "id",
            "study",
            "number",
            "state",
            "params",
            "value",
            "started",
            "finished",
            "worker",
            "n_attempts",
            "error",
            "attempts",
        ]


def _detail(trial_id: int) -> dict:
    trial = Trial.objects.select_related("study").prefetch_related("attempts").get(pk=trial_id)
    return TrialDetailSerializer(trial).data


@extend_schema(responses={200: TrialDetailSerializer})
@api_view(["GET"])
def trial_detail(request: Request, trial_id: int) -> Response:
    return Response(_detail(access.trial_by_id_for_user(request.user, trial_id).pk))


def _trial_control_view(action: str):
    """The POST route of one of `services.TRIAL_CONTROLS`: a view of its own, so that the schema
    keeps naming the operation `trial_<action>`."""

    @extend_schema(
        request=None, responses={200: TrialDetailSerializer, 409: None}, operation_id=f"trial_{action}"
    )
    @api_view(["POST"])
    def view(request: Request, trial_id: int) -> Response:
        trial = access.trial_by_id_for_user(request.user, trial_id, edit=True)
        if not services.control_trial(action, trial, request.user):
            return Response({"error": f"cannot {action} a trial that is {trial.state}"}, status=409)
        return Response(_detail(trial.pk))

    return view


trial_controls = {action: _trial_control_view(action) for action in services.TRIAL_CONTROLS}
