"""The API's JSON shapes; the study body is validated with the same codec and registries as the form."""

from __future__ import annotations

from rest_framework import serializers

from studies import access
from studies.job_catalog import resolve_job, validate_job_settings
from studies.models import Study, Trial
from studies.optimizers import OPTIMIZERS, SearchSpace, get_optimizer
from studies.optimizers.pruners import PRUNERS, get_pruner


class StudySerializer(serializers.ModelSerializer):
    space = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", read_only=True)
    project = serializers.CharField(source="project.name", read_only=True)
    n_trials = serializers.IntegerField(read_only=True)
    n_complete = serializers.IntegerField(read_only=True)
    n_failed = serializers.IntegerField(read_only=True)
    best = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "id", "name", "project", "owner", "state", "state_reason", *Study.SETTINGS, "space",
            "created", "updated", "n_trials", "n_complete", "n_failed", "best",
        ]

    def get_space(self, study) -> dict:
        return study.space.to_dict()

    def get_best(self, study) -> dict | None:
        if study.best_number is None:
            return None
        return {"number": study.best_number, "value": study.best_value, "params": study.best_params}


def study_body(study: Study) -> dict:
    """A study as the API shows it (read from `Study.objects.with_summary()`, one query and a prefetch)."""
    return StudySerializer(Study.objects.with_summary().get(pk=study.pk)).data


class StudyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    project = serializers.CharField(
        required=False, help_text="Project name; default: your first editable one."
    )
    # Not a choice: its choices would be read from the database when the schema is generated (which
    # `check --deploy` does before `migrate`) and list staff's command jobs in it.
    job = serializers.CharField(
        max_length=200,
        help_text="A registered job's name, `command:<name>` for a command job staff defined, or `external`.",
    )
    job_settings = serializers.DictField(required=False, default=dict)
    direction = serializers.ChoiceField(choices=Study.Direction.choices, default=Study.Direction.MINIMIZE)
    metric = serializers.CharField(max_length=64, default="loss")
    optimizer = serializers.ChoiceField(choices=list(OPTIMIZERS), default="random")
    optimizer_settings = serializers.DictField(required=False, default=dict)
    seed = serializers.IntegerField(min_value=0, default=0)
    pruner = serializers.ChoiceField(choices=list(PRUNERS), default="none")
    pruner_settings = serializers.DictField(required=False, default=dict)
    queue = serializers.RegexField(r"^[A-Za-z0-9_.-]{1,64}$", required=False, default="hpoweb")
    space = serializers.DictField()
    max_trials = serializers.IntegerField(min_value=1, max_value=1_000_000, default=20)
    max_parallel = serializers.IntegerField(min_value=1, max_value=10_000, default=2)
    max_retries = serializers.IntegerField(min_value=0, max_value=100, default=1)
    max_consecutive_failures = serializers.IntegerField(min_value=0, default=5)
    trial_timeout_s = serializers.FloatField(min_value=0.1, required=False, allow_null=True, default=None)
    start = serializers.BooleanField(default=False)

    def validate_job(self, name: str) -> str:
        try:
            resolve_job(name)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        return name

    def validate_name(self, name: str) -> str:
        if Study.objects.filter(name=name).exists():
            raise serializers.ValidationError("A study with this name already exists.")
        return name

    def validate_project(self, name: str):
        project = access.editable_projects(self.context["request"].user).filter(name=name).first()
        if project is None:
            raise serializers.ValidationError(f"You cannot create studies in a project named {name!r}.")
        return project

    def validate(self, data: dict) -> dict:
        errors = {}
        if "project" not in data:
            data["project"] = access.editable_projects(self.context["request"].user).first()
            if data["project"] is None:
                errors["project"] = "You are not an editor of any project."
        try:
            space = SearchSpace.from_dict(data["space"])
            data["space"] = space.to_dict()
        except ValueError as error:
            errors["space"] = str(error)
            space = None
        try:
            data["job_settings"] = validate_job_settings(data["job"], data["job_settings"])
        except ValueError as error:
            errors["job_settings"] = str(error)
        if space is not None:
            try:
                get_optimizer(
                    data["optimizer"],
                    space,
                    direction=data["direction"],
                    seed=data["seed"],
                    **data["optimizer_settings"],
                )
            except (ValueError, TypeError) as error:
                errors["optimizer_settings"] = str(error)
        try:
            get_pruner(data["pruner"], **data["pruner_settings"])
        except (ValueError, TypeError) as error:
            errors["pruner_settings"] = str(error)
        if errors:
            raise serializers.ValidationError(errors)
        return data


class TrialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trial
        # `id` addresses the trial under /api/trials/{id}/ (attempts, cancel, retry)
        fields = ["id", "number", "state", "params", "value", "started", "finished", "n_attempts", "error"]
