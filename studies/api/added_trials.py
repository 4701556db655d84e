"""`POST /api/studies/{id}/trials/`: queue a hand-picked point, or record a trial that ran elsewhere.

    {"params": {...}, "request_id"?}                                    -> 201 a queued trial
    {"params", "value" | "values": [v], "state"?, "started"?, "finished"?, "curve"?: [[step, value]],
     "error"?, "request_id"?}                                           -> 201 a finished trial

A repeat with the same `request_id` answers 200 with the trial the first call added.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from studies import access
from studies.added_trials import Result, TrialRefused, add_trial
from studies.api.serializers import OUTCOME_STATES, FiniteFloat, TrialSerializer
from studies.definition import INT32_MAX

RESULT_FIELDS = ("value", "values", "state", "started", "finished", "curve", "error")


class _Point(serializers.ListField):
    """One learning-curve point, `[step, value]`."""

    def to_internal_value(self, data) -> tuple[int, float]:
        if not isinstance(data, list) or len(data) != 2:
            raise serializers.ValidationError("a curve point is [step, value]")
        step = serializers.IntegerField(min_value=-INT32_MAX, max_value=INT32_MAX).run_validation(data[0])
        return step, FiniteFloat().run_validation(data[1])


class AddTrialSerializer(serializers.Serializer):
    params = serializers.DictField()
    request_id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", required=False, default="")
    value = FiniteFloat(required=False)
    values = serializers.ListField(child=FiniteFloat(), required=False, min_length=1)
    state = serializers.ChoiceField(choices=OUTCOME_STATES, required=False)
    started = serializers.DateTimeField(required=False, allow_null=True, default=None)
    finished = serializers.DateTimeField(required=False, allow_null=True, default=None)
    curve = serializers.ListField(child=_Point(), required=False, default=list, max_length=100_000)
    error = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)

    def validate(self, data: dict) -> dict:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        if "values" in data:
            if len(data["values"]) != 1 or "value" in data:
                raise serializers.ValidationError(
                    {"values": ["this study has one objective: send one value"]}
                )
            data["value"] = data.pop("values")[0]
        return data

    def result(self) -> Result | None:
        """None for a point to queue: the body names no outcome."""
        data = self.validated_data
        if not any(name in self.initial_data for name in RESULT_FIELDS):
            return None
        return Result(
            state=data.get("state", "complete"),
            value=data.get("value"),
            started=data["started"],
            finished=data["finished"],
            curve=tuple(data["curve"]),
            error=data["error"],
        )


def post(request: Request, study_id: int) -> Response:
    study = access.study_for_user(request.user, study_id, edit=True)
    body = AddTrialSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        trial, new = add_trial(request.user, study, data["params"], body.result(), data["request_id"])
    except TrialRefused as refused:
        return Response(refused.errors, status=409 if refused.conflict else 400)
    return Response(TrialSerializer(trial).data, status=201 if new else 200)
