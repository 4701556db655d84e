"""The app's models: `studies` (studies, trials, attempts, analyses, workers), `spaces` (stored search
spaces), `summary` (a study's counts and best trial, kept as trials change state), `teams`
(projects, members, API tokens, the audit log), `tags` (labels on studies), `saved` (saved views)
and `command_jobs` (programs staff allow workers to run).
Import them from here.

Single-row state transitions live on the models as conditional updates that report whether they won;
workflows that touch several rows or enqueue work live in `studies.services`.
"""

from __future__ import annotations

from studies.models.command_jobs import CommandJob
from studies.models.saved import SavedView
from studies.models.spaces import ParameterRecord, SpaceRecord
from studies.models.studies import (
    Attempt,
    AttemptLog,
    Study,
    StudyAnalysis,
    StudyQuerySet,
    Trial,
    TrialMetric,
    TrialQuerySet,
    WorkerStatus,
)
from studies.models.summary import StudySummary
from studies.models.tags import StudyTag
from studies.models.teams import ApiToken, ApiTokenQuerySet, AuditEvent, Membership, Project

__all__ = [
    "ApiToken",
    "ApiTokenQuerySet",
    "Attempt",
    "AttemptLog",
    "AuditEvent",
    "CommandJob",
    "Membership",
    "ParameterRecord",
    "Project",
    "SavedView",
    "SpaceRecord",
    "Study",
    "StudyAnalysis",
    "StudyQuerySet",
    "StudySummary",
    "StudyTag",
    "Trial",
    "TrialMetric",
    "TrialQuerySet",
    "WorkerStatus",
]
