"""The registry of named training jobs a study can run.

A job is a callable `fn(params, settings, reporter) -> float`: it gets the trial's params, the
study's fixed job settings and a reporter whose `report(step, value)` records a learning-curve point;
it returns the metric (for a study with objectives, a mapping of every metric by name). Built-ins
are registered here; installed packages add theirs through the
`hpoweb.jobs` entry-point group (each entry point names a `Job`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol

from studies.optimizers.settings import Setting, parse_settings


class Reporter(Protocol):
    def report(self, step: int, value: float) -> None: ...

    def should_prune(self) -> bool: ...


@dataclass(frozen=True)
class Job:
    name: str
    fn: Callable[[dict, dict, Reporter], float]
    description: str
    space: dict = field(default_factory=dict)
    settings: tuple[Setting, ...] = ()
    direction: str = "minimize"
    metric: str = "loss"
    objectives: tuple[dict, ...] = ()  # for a job with several metrics: the objectives it suggests
    constraints: tuple[dict, ...] = ()  # and the limits it suggests (with objectives only)

    def validate_settings(self, values: dict) -> dict:
        """Every setting with its default filled in; a SettingError names a bad or unknown one."""
        return parse_settings(f"job {self.name!r}", self.settings, values)


@cache
def registry() -> dict[str, Job]:
    from studies.jobs import builtins, digits, model_selection, multi_objective, tabular

    jobs = {
        job.name: job
        for job in (
            *builtins.JOBS,
            *multi_objective.JOBS,
            digits.JOB,
            model_selection.JOB,
            tabular.JOB,
            tabular.COST_JOB,
        )
    }
    for ep in entry_points(group="hpoweb.jobs"):
        job = ep.load()
        jobs.setdefault(job.name, job)
    return jobs


def get_job(name: str) -> Job:
    try:
        return registry()[name]
    except KeyError:
        raise ValueError(f"unknown job {name!r}") from None


def run_job(name: str, params: dict, settings: dict, reporter: Reporter) -> Any:
    job = get_job(name)
    return job.fn(params, job.validate_settings(settings), reporter)
