"""The app's models: `studies` (studies, spaces, trials, attempts, analyses, workers), `teams`
(projects, members, API tokens, the audit log), `tags` (labels on studies), `saved` (saved views)
and `command_jobs` (programs staff allow workers to run).
Import them from here.

Single-row state transitions live on the models as conditional updates that report whether they won;
workflows that touch several rows or enqueue work live in `studies.services`.
"""

from __future__ import annotations

from studies.models.command_jobs import CommandJob
from studies.models.saved import SavedView
from studies.models.studies import (
    Attempt,
    AttemptLog,
    ParameterRecord,
    SpaceRecord,
    Study,
    StudyAnalysis,
    StudyQuerySet,
    Trial,
    TrialMetric,
    TrialQuerySet,
    WorkerStatus,
)
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
    "StudyTag",
    "Trial",
    "TrialMetric",
    "TrialQuerySet",
    "WorkerStatus",
]
