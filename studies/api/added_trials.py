"""`POST /api/studies/{id}/trials/`: queue a hand-picked point, or record a trial that ran elsewhere.

    {"params": {...}, "request_id"?}                                    -> 201 a queued trial
    {"params", "value" | "values": [v], "state"?, "started"?, "finished"?, "curve"?: [[step, value]],
     "error"?, "request_id"?}                                           -> 201 a finished trial

A study with objectives takes `values` instead of `value`: a list in the order of its objectives (as
Optuna's `trial.values`) or an object by metric (as `tell` takes; constraint metrics too).

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
from studies.objectives import ResultError, result_fields

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
    values = serializers.JSONField(required=False)
    state = serializers.ChoiceField(choices=OUTCOME_STATES, required=False)
    started = serializers.DateTimeField(required=False, allow_null=True, default=None)
    finished = serializers.DateTimeField(required=False, allow_null=True, default=None)
    curve = serializers.ListField(child=_Point(), required=False, default=list, max_length=100_000)
    error = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)

    def validate(self, data: dict) -> dict:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        if self.context["study"].objectives:
            return self._objective_values(data)
        if "values" in data:
            values = data.pop("values")
            if not isinstance(values, list) or len(values) != 1 or "value" in data:
                raise serializers.ValidationError(
                    {"values": ["this study has one objective: send one value"]}
                )
            try:
                data["value"] = FiniteFloat().run_validation(values[0])
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"values": error.detail}) from None
        return data

    def _objective_values(self, data: dict) -> dict:
        """`values` of a study with objectives, checked as a told result is; `value` alone is refused."""
        study = self.context["study"]
        if "value" in data:
            raise serializers.ValidationError({"value": ["this study has objectives: send values"]})
        if "values" not in data:
            return data
        values = data.pop("values")
        if isinstance(values, list):
            metrics = [o["metric"] for o in study.objectives]
            if len(values) != len(metrics):
                message = f"a list holds one value per objective ({', '.join(metrics)})"
                raise serializers.ValidationError({"values": [message]})
            values = dict(zip(metrics, values, strict=True))
        try:
            data["result"] = result_fields(study.objectives, study.constraints, values)
        except ResultError as error:
            raise serializers.ValidationError({"values": [str(error)]}) from None
        return data

    def result(self) -> Result | None:
        """None for a point to queue: the body names no outcome."""
        data = self.validated_data
        if not any(name in self.initial_data for name in RESULT_FIELDS):
            return None
        objectives = data.get("result", {})
        return Result(
            state=data.get("state", "complete"),
            value=objectives.get("value", data.get("value")),
            values=objectives.get("values"),
            feasible=objectives.get("feasible"),
            started=data["started"],
            finished=data["finished"],
            curve=tuple(data["curve"]),
            error=data["error"],
        )


def post(request: Request, study_id: int) -> Response:
    study = access.study_for_user(request.user, study_id, edit=True)
    body = AddTrialSerializer(data=request.data, context={"study": study})
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        trial, new = add_trial(request.user, study, data["params"], body.result(), data["request_id"])
    except TrialRefused as refused:
        return Response(refused.errors, status=409 if refused.conflict else 400)
    return Response(TrialSerializer(trial).data, status=201 if new else 200)
