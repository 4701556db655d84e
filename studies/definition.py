"""A study's definition, checked in one place.

The form, the API, import and warm start all hand a plain dict (the API's JSON shape) to
`check_definition`, which either returns the cleaned definition or raises `DefinitionError` carrying
every problem under the path of what it concerns: `max_trials`, `space.x1.low`,
`optimizer_settings.xi`, `job_settings.steps`. Callers map paths to their own fields; nobody parses
messages and nobody re-implements a rule.

Every limit is declared in `LIMITS` (and in the space codec's constants), listed in docs/limits.md.
The access check comes first: a user who may not create studies in the project is refused before
anything else is parsed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studies import access
from studies.job_catalog import check_job_params, resolve_job, validate_job_settings
from studies.jobs import registry
from studies.models import Project, Study
from studies.objectives import check_objectives
from studies.optimizers import OPTIMIZERS, SearchSpace, conditions, get_optimizer
from studies.optimizers import parameters as codec
from studies.optimizers.pruners import PRUNERS, get_pruner
from studies.optimizers.settings import INT32_MAX, SettingError
from studies.optimizers.space import SpaceError


@dataclass(frozen=True)
class Limit:
    """A declared bound: a number in [low, high], or a text of low..high characters (not blank when
    required, and without NUL, which PostgreSQL refuses to store)."""

    kind: str  # "int", "float" or "text"
    low: float
    high: float
    help: str

    def check(self, value: Any) -> str | None:
        """Why `value` breaks the limit, or None when it keeps it."""
        if self.kind == "text":
            if value is None:
                return "is required"
            if not isinstance(value, str):
                return "must be a string"
            if not self.low <= len(value) <= self.high:
                return f"must be {_count(self.low, self.high)} characters long, got {len(value)}"
            if self.low and not value.strip():
                return "must not be blank"
            return "must not contain NUL characters" if "\x00" in value else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, got {_short(value)}"
        if self.kind == "int" and not (isinstance(value, int) or value.is_integer()):
            return f"must be an integer, got {_short(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {_short(value)}"
        if not self.low <= value <= self.high:
            return f"must be between {self.low:,} and {self.high:,}, got {_short(value)}"
        return None


def _count(low: float, high: float) -> str:
    return f"at most {high:,}" if low == 0 else f"{low:,} to {high:,}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


LIMITS: dict[str, Limit] = {
    "name": Limit("text", 1, 100, "The study's name, unique within its project."),
    "description": Limit("text", 0, 20_000, "Free text shown on the study page."),
    "metric": Limit("text", 1, 64, "The name of the objective the job reports."),
    "seed": Limit("int", 0, INT32_MAX, "Seeds the optimizer's random choices."),
    "max_trials": Limit("int", 1, 1_000_000, "Trials in all, warm-started ones included."),
    "max_parallel": Limit("int", 1, 10_000, "Trials running at once; not above max_trials."),
    "max_retries": Limit("int", 0, 100, "Extra attempts after a failed one."),
    "max_consecutive_failures": Limit(
        "int", 0, INT32_MAX, "The study stops after this many trials fail in a row (0: never)."
    ),
    "trial_timeout_s": Limit("float", 0.1, 10_000_000, "Kill a trial's job after this many seconds."),
    "note": Limit("text", 0, 20_000, "A Markdown note on a study or a trial."),
}
QUEUE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# What a definition may leave out, with the model's own defaults; `objectives`/`constraints` left out
# (None) mean a study defined by `metric`/`direction`.
_MODEL_DEFAULTS = """description direction metric optimizer optimizer_settings seed pruner pruner_settings
    job_settings queue max_trials max_parallel max_retries max_consecutive_failures trial_timeout_s""".split()
DEFAULTS: dict[str, Any] = {
    **{name: Study._meta.get_field(name).get_default() for name in _MODEL_DEFAULTS},
    "objectives": None,
    "constraints": None,
}
KEYS = ("name", "project", "job", "space", *DEFAULTS)


class DefinitionError(Exception):
    """Problems with a study definition, each message under the path of what it concerns."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {path: list(messages) for path, messages in errors.items()}
        super().__init__("; ".join(f"{path}: {m}" for path, ms in self.errors.items() for m in ms))


@dataclass(frozen=True)
class Definition:
    """A checked definition: the project, the normalized space and the study's other fields."""

    project: Project
    space: dict
    fields: dict

    def study_fields(self) -> dict:
        return {**self.fields, "project": self.project}


class _Errors(dict):
    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def check_definition(user, data: Any) -> Definition:
    """The cleaned definition of a new study `user` may create; DefinitionError lists every problem."""
    if not isinstance(data, Mapping):
        raise DefinitionError({"definition": ["must be a JSON object"]})
    project = creatable_project(user, data.get("project"))
    errors = _Errors()
    for key in sorted(set(data) - set(KEYS)):
        errors.add(str(key)[:100], "unknown field")
    values = {**DEFAULTS, **{k: v for k, v in data.items() if k in DEFAULTS and v is not None}}
    values["name"] = data.get("name")
    _check_scalars(values, errors)
    _check_objectives(data, values, errors)
    if "name" not in errors and Study.objects.filter(project=project, name=values["name"]).exists():
        errors.add("name", f"a study named {values['name']!r} exists in project {project.name!r}")
    space = _space(data.get("space"), errors)
    values["job"] = data.get("job")
    _check_job(values, space, errors)
    if "optimizer" not in errors and "seed" not in errors and "direction" not in errors and space:
        _check_optimizer(values, space, errors)
    if "pruner" not in errors:
        _check_settings("pruner", values, errors, lambda s: get_pruner(values["pruner"], **s))
    if errors:
        raise DefinitionError(errors)
    return Definition(project=project, space=space.to_dict(), fields=values)


def creatable_project(user, given: Project | str | None) -> Project:
    """The project `user` may create studies in (given as a project, its name, or None for the first);
    DefinitionError otherwise. Checked before anything else of a definition is looked at."""
    projects = access.editable_projects(user)
    if isinstance(given, Project):
        project = projects.filter(pk=given.pk).first()
    elif given is None:
        project = projects.first()
    else:
        project = projects.filter(name=given).first() if isinstance(given, str) else None
    if project is None:
        message = (
            "you are not an editor of any project"
            if given is None
            else f"you cannot create studies in a project named {str(given)[:100]!r}"
        )
        raise DefinitionError({"project": [message]})
    return project


def _check_scalars(values: dict, errors: _Errors) -> None:
    for key, limit in LIMITS.items():
        if key in values and not (key == "trial_timeout_s" and values[key] is None):
            problem = limit.check(values[key])
            if problem:
                errors.add(key, problem)
            elif limit.kind == "int":
                values[key] = int(values[key])
    if "max_parallel" not in errors and "max_trials" not in errors:
        if values["max_parallel"] > values["max_trials"]:
            errors.add("max_parallel", f"must not be above max_trials ({values['max_trials']})")
    if not isinstance(values["direction"], str) or values["direction"] not in Study.Direction.values:
        errors.add("direction", f"must be one of {Study.Direction.values}, got {_short(values['direction'])}")
    if not isinstance(values["queue"], str) or not QUEUE_PATTERN.match(values["queue"]):
        errors.add("queue", "1 to 64 letters, digits, '_', '.' or '-'")
    for key, table in (("optimizer", OPTIMIZERS), ("pruner", PRUNERS)):
        if not isinstance(values[key], str) or values[key] not in table:
            errors.add(key, f"unknown {key} {_short(values[key])}; known: {', '.join(table)}")
    for key in ("optimizer_settings", "pruner_settings", "job_settings"):
        if not isinstance(values[key], Mapping):
            errors.add(key, "must be a JSON object")


def _check_objectives(data: Mapping, values: dict, errors: _Errors) -> None:
    """Objectives in place of `metric`/`direction`: the first one fills those in, and a pruner, which
    judges one curve, is refused when there are several."""
    values["objectives"], values["constraints"] = check_objectives(data, errors.add)
    if values["objectives"]:
        values["metric"] = values["objectives"][0]["metric"]
        values["direction"] = values["objectives"][0]["direction"]
    if len(values["objectives"]) > 1 and values["pruner"] != "none":
        errors.add("pruner", "a study with several objectives cannot use a pruner (it judges one curve)")


def _space(spec: Any, errors: _Errors) -> SearchSpace | None:
    if spec is None:
        errors.add("space", "a search space is required")
        return None
    try:
        space = SearchSpace.from_dict(spec)
    except SpaceError as error:
        errors.add(".".join(["space", *_parts(error.parameter, error.key)]), str(error))
        return None
    named: dict[str, str] = {}
    for name in space.names:  # a command job would get one in the other's variable
        other = named.setdefault(codec.command_variable(name), name)
        if other != name:
            errors.add(
                f"space.{name[:100]}.name",
                f"parameters {other!r} and {name!r} reach command jobs as the same variable "
                f"{codec.command_variable(name)}: names must differ in more than case and non-ASCII letters",
            )
            return None
    return space


def _parts(*names: str | None) -> list[str]:
    return [str(name)[:100] for name in names if name]


def _check_job(values: dict, space: SearchSpace | None, errors: _Errors) -> None:
    try:
        resolve_job(values["job"] if isinstance(values["job"], str) else "")
    except ValueError as error:
        errors.add("job", str(error) if values["job"] else "a job is required")
        return
    if "job_settings" not in errors:
        _check_settings("job", values, errors, lambda s: validate_job_settings(values["job"], s))
    if space is not None:
        try:
            check_job_params(values["job"], space.names)
        except ValueError as error:
            errors.add(".".join(["space", *_parts(getattr(error, "parameter", None))]), str(error))


def _check_optimizer(values: dict, space: SearchSpace, errors: _Errors) -> None:
    if "optimizer_settings" in errors:
        return
    _check_settings(
        "optimizer",
        values,
        errors,
        lambda s: get_optimizer(
            values["optimizer"],
            space,
            direction=values["direction"],
            seed=values["seed"],
            objectives=values["objectives"],
            constraints=values["constraints"],
            **s,
        ),
    )


def _check_settings(owner: str, values: dict, errors: _Errors, parse) -> None:
    """Run `parse` on `<owner>_settings` and route its errors by setting. A job's settings are stored
    with their defaults filled in (what the job runs with); an optimizer's and a pruner's as given."""
    key = f"{owner}_settings"
    if key in errors:
        return
    try:
        parsed = parse(dict(values[key]))
    except SettingError as error:
        errors.add(".".join([key, *_parts(error.setting)]), str(error))
    except (ValueError, TypeError) as error:
        errors.add(owner if owner != "job" else key, str(error))
    else:
        if owner == "job":
            values[key] = parsed


def definition_of(study: Study) -> dict:
    """An existing study's definition in the shape `check_definition` takes (for warm starts)."""
    values = {key: getattr(study, key) for key in DEFAULTS}
    for key in ("metric", "direction") if study.objectives else Study.OBJECTIVE_FIELDS:
        del values[key]
    return {
        **values,
        "name": study.name,
        "project": study.project,
        "job": study.job,
        "space": study.space.to_dict(),
    }


def describe_definition() -> dict:
    """The declared limits and settings, as JSON for API clients (`GET /api/definition/`)."""

    def schemas(table: Mapping) -> dict:
        return {owner: [setting.describe() for setting in schema] for owner, schema in table.items()}

    return {
        "limits": {
            key: {"kind": limit.kind, "min": limit.low, "max": limit.high, "help": limit.help}
            for key, limit in LIMITS.items()
        },
        "space": {
            "max_parameters": codec.MAX_PARAMETERS,
            "max_name_length": codec.MAX_NAME_LENGTH,
            "max_choices": codec.MAX_CHOICES,
            "max_choice_length": codec.MAX_CHOICE_LENGTH,
            "max_condition_values": conditions.MAX_VALUES,
        },
        "optimizers": schemas(OPTIMIZERS),
        "pruners": schemas(PRUNERS),
        "jobs": schemas({name: job.settings for name, job in registry().items()}),
    }
