"""What a study may run, by the name stored in `Study.job`: the one place that resolves that name.

- a registered Python callable (`studies.jobs.registry()`), by its name: ``digits_mlp``;
- a command job that staff defined in the admin, as ``command:<name>``;
- ``external``: trials are handed out through the ask/tell API to workers the user runs anywhere,
  and are never published to Celery.
"""

from __future__ import annotations

from dataclasses import dataclass

from studies.jobs import Job, registry
from studies.models import CommandJob
from studies.optimizers.space import SpaceError

EXTERNAL = "external"
COMMAND_PREFIX = "command:"


@dataclass(frozen=True)
class ResolvedJob:
    name: str
    kind: str  # "callable", "command" or "external"
    callable: Job | None = None
    command: CommandJob | None = None


def job_choices() -> list[tuple[str, str]]:
    """(value, label) for forms and the API: callables, then command jobs, then external workers."""
    choices = [(name, name) for name in sorted(registry())]
    choices += [
        (COMMAND_PREFIX + name, f"{name} (command)")
        for name in CommandJob.objects.order_by("name").values_list("name", flat=True)
    ]
    choices.append((EXTERNAL, "external workers (ask/tell API)"))
    return choices


def resolve_job(name: str) -> ResolvedJob:
    """The job a study names; ValueError when there is none by that name (any more)."""
    if name == EXTERNAL:
        return ResolvedJob(name, "external")
    if name.startswith(COMMAND_PREFIX):
        command = CommandJob.objects.filter(name=name[len(COMMAND_PREFIX) :]).first()
        if command is None:
            raise ValueError(f"unknown command job {name[len(COMMAND_PREFIX) :]!r}")
        return ResolvedJob(name, "command", command=command)
    job = registry().get(name)
    if job is None:
        raise ValueError(f"unknown job {name!r}")
    return ResolvedJob(name, "callable", callable=job)


def check_job_params(job_name: str, param_names) -> None:
    """Refuse a space naming a parameter a command job does not accept: staff decide which options
    reach their program, never the study's author. Other jobs take any name (they get a dict)."""
    command = resolve_job(job_name).command
    if command is None:
        return
    refused = command.refused_params(param_names)
    if refused:
        accepted = ", ".join(command.params) or "none"
        raise SpaceError(
            refused[0],
            None,
            f"the command job {command.name!r} does not accept the parameter {refused[0]!r} "
            f"(it accepts: {accepted}; staff declare them in the admin)",
        )


def validate_job_settings(name: str, settings: dict) -> dict:
    """A callable's settings with defaults filled in; command and external jobs take none."""
    job = resolve_job(name)
    if job.callable is not None:
        return job.callable.validate_settings(settings)
    if settings:
        raise ValueError(f"{name} takes no job settings (staff set a command job's arguments in the admin)")
    return {}
