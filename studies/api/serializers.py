"""The API's JSON shapes; a new study's body is checked by `studies.definition`, like the form's."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from rest_framework import serializers

from studies import recommendation
from studies.definition import LIMITS, QUEUE_PATTERN, DefinitionError
from studies.models import Study, StudyQuerySet, StudySummary, Trial
from studies.optimizers import OPTIMIZERS
from studies.optimizers.pruners import PRUNERS

# How a trial that ran outside hpoweb's workers ended (tell, a recorded trial): one enum in the schema.
OUTCOME_STATES = ["complete", "failed", "pruned"]


class FiniteFloat(serializers.FloatField):
    """A float that is a number: NaN, infinities and booleans (DRF's would read `true` as 1.0) are
    refused where they are given."""

    def to_internal_value(self, data) -> float:
        if isinstance(data, bool):
            raise serializers.ValidationError("must be a number, not a boolean")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("must be a finite number")
        return value


class StudySerializer(serializers.ModelSerializer):
    space = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", read_only=True)
    project = serializers.CharField(source="project.name", read_only=True)
    n_trials = serializers.IntegerField(source="summary.n_trials", read_only=True)
    n_complete = serializers.IntegerField(source="summary.n_complete", read_only=True)
    n_failed = serializers.IntegerField(source="summary.n_failed", read_only=True)
    best = serializers.SerializerMethodField()
    chosen = serializers.SerializerMethodField()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Study
        fields = [
            "id",
            "name",
            "project",
            "owner",
            "state",
            "state_reason",
            *Study.DEFINITION_FIELDS,
            "space",
            "created",
            "updated",
            "n_trials",
            "n_complete",
            "n_failed",
            "best",
            "chosen",
            "tags",
        ]

    def get_space(self, study) -> dict:
        return study.space.to_dict()

    def get_best(self, study) -> dict | None:
        best = study.summary.best_trial
        if best is None or study.is_multi_objective:
            return None
        return {"number": best.number, "value": best.value, "params": best.params}

    def get_chosen(self, study) -> dict | None:
        """The trial a team marked as chosen: its number, the note, who and when (null when none)."""
        if study.chosen_trial_id is None:
            return None
        return {
            "number": study.chosen_trial.number,
            "note": study.chosen_note,
            "by": study.chosen_by.username if study.chosen_by else None,
            "at": study.chosen_at.isoformat() if study.chosen_at else None,
        }

    def to_representation(self, study) -> dict:
        """A study defined with objectives also carries them, its constraints and, with several
        objectives, `pareto`: the numbers of its feasible non-dominated trials."""
        data = super().to_representation(study)
        if study.objectives:
            data.update(objectives=study.objectives, constraints=study.constraints)
        if study.is_multi_objective:
            data["pareto"] = StudySummary.pareto_numbers(study)
        return data


class StudyDetailSerializer(StudySerializer):
    """One study: also the trial to deploy and why (studies.recommendation), which the list leaves out
    so that it stays one query however many studies it shows."""

    recommended = serializers.SerializerMethodField()

    class Meta(StudySerializer.Meta):
        fields = [*StudySerializer.Meta.fields, "recommended"]

    def get_recommended(self, study) -> dict | None:
        best = study.summary.best_trial
        return recommendation.recommended(study, best and best.number)


def with_api_fields(studies: StudyQuerySet) -> StudyQuerySet:
    """What the serializers read, in one query and a prefetch however many trials there are."""
    return (
        studies.with_summary()
        .select_related("owner", "project", "space")
        .prefetch_related("space__parameters", "tags")
    )


def study_body(study: Study) -> dict:
    """A study as the API shows it."""
    return StudyDetailSerializer(with_api_fields(Study.objects.all()).get(pk=study.pk)).data


def _described(key: str, field: type[serializers.Field], **kwargs) -> serializers.Field:
    """A documented field whose bounds and help come from the declared limits."""
    limit = LIMITS[key]
    bounds = (
        {"max_length": limit.high}
        if limit.kind == "text"
        else {"min_value": limit.low, "max_value": limit.high}
    )
    return field(help_text=limit.help, **bounds, **kwargs)


def _settings_help(table: dict) -> str:
    return "; ".join(
        f"{owner}: " + (", ".join(f"{s.name} ({s.type}, default {s.default!r})" for s in schema) or "none")
        for owner, schema in table.items()
    )


@dataclass(frozen=True)
class CreateBody:
    definition: dict
    start: bool


class StudyCreateSerializer(serializers.Serializer):
    """The body of `POST /api/studies/`, for the schema: `studies.definition` checks it (one validator
    for the form, the API, import and warm start) and answers 400 with `{path: [messages]}`."""

    name = _described("name", serializers.CharField)
    description = _described("description", serializers.CharField, required=False)
    project = serializers.CharField(
        required=False, help_text="Project name; default: your first editable one."
    )
    # Not a choice: its choices would be read from the database when the schema is generated (which
    # `check --deploy` does before `migrate`) and list staff's command jobs in it.
    job = serializers.CharField(
        max_length=200,
        help_text="A registered job's name, `command:<name>` for a command job staff defined, or `external`.",
    )
    job_settings = serializers.DictField(required=False)
    direction = serializers.ChoiceField(choices=Study.Direction.choices, default=Study.Direction.MINIMIZE)
    metric = _described("metric", serializers.CharField, default="loss")
    optimizer = serializers.ChoiceField(choices=list(OPTIMIZERS), default="random")
    optimizer_settings = serializers.DictField(required=False, help_text=_settings_help(OPTIMIZERS))
    seed = _described("seed", serializers.IntegerField, default=0)
    pruner = serializers.ChoiceField(choices=list(PRUNERS), default="none")
    pruner_settings = serializers.DictField(required=False, help_text=_settings_help(PRUNERS))
    queue = serializers.RegexField(QUEUE_PATTERN.pattern, required=False, default="hpoweb")
    space = serializers.DictField()
    max_trials = _described("max_trials", serializers.IntegerField, default=20)
    max_parallel = _described("max_parallel", serializers.IntegerField, default=2)
    max_retries = _described("max_retries", serializers.IntegerField, default=1)
    max_consecutive_failures = _described("max_consecutive_failures", serializers.IntegerField, default=5)
    trial_timeout_s = _described("trial_timeout_s", serializers.FloatField, required=False, allow_null=True)
    start = serializers.BooleanField(default=False)

    @staticmethod
    def split_start(data) -> CreateBody:
        """The definition apart from `start` (whether to run it at once)."""
        if not isinstance(data, Mapping):
            raise DefinitionError({"definition": ["must be a JSON object"]})
        definition = dict(data)
        start = definition.pop("start", False)
        if not isinstance(start, bool):
            raise DefinitionError({"start": ["must be true or false"]})
        return CreateBody(definition, start)


class TrialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trial
        # `id` addresses the trial under /api/trials/{id}/ (attempts, cancel, retry)
        fields = ["id", "number", "state", "params", "value", "started", "finished", "n_attempts", "error"]

    def to_representation(self, trial) -> dict:
        """A trial of a study with objectives also carries `values` (every metric) and `feasible`."""
        data = super().to_representation(trial)
        if trial.study.objectives:
            data.update(values=trial.values, feasible=trial.feasible)
        return data
