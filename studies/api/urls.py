"""Every route of the JSON API. Study and trial controls are listed by name: no route takes any slug."""

from __future__ import annotations

from django.urls import path, re_path

from studies.api import (
    asktell,
    chosen,
    definitions,
    exports,
    run_imports,
    transfers,
    trial_compare,
    trial_controls,
    views,
)

STUDY = "studies/<int:study_id>/"
TRIAL = "trials/<int:trial_id>/"


def _study_control(action: str):
    return path(STUDY + f"{action}/", views.study_controls[action], name=f"api-study-{action}")


def _trial_control(action: str):
    return path(TRIAL + f"{action}/", trial_controls.trial_controls[action], name=f"api-trial-{action}")


urlpatterns = [
    path("definition/", views.definition_schema, name="api-definition"),
    path("studies/", views.StudyListCreate.as_view(), name="api-studies"),
    path("studies/import/", transfers.study_import, name="api-study-import"),
    path(STUDY, views.StudyDetail.as_view(), name="api-study"),
    path(STUDY + "trials/", views.TrialList.as_view(), name="api-trials"),
    path(STUDY + "trials/import/", run_imports.trial_import, name="api-trial-import"),
    path(STUDY + "chosen/", chosen.study_chosen, name="api-study-chosen"),
    path(STUDY + "tags/", views.study_tags, name="api-study-tags"),
    _study_control("start"),
    _study_control("resume"),
    _study_control("pause"),
    _study_control("cancel"),
    re_path(
        r"^studies/(?P<study_id>\d+)/export\.(?P<kind>csv|json)$",
        exports.study_export,
        name="api-study-export",
    ),
    re_path(
        r"^studies/(?P<study_id>\d+)/definition\.(?P<kind>yaml|json)$",
        definitions.study_definition,
        name="api-study-definition",
    ),
    path(STUDY + "export/", exports.study_export, name="api-study-export-negotiated"),
    path(STUDY + "warm-start/", transfers.study_warm_start, name="api-study-warm-start"),
    path(STUDY + "ask/", asktell.ask, name="api-ask"),
    path("trials/", trial_compare.trial_list, name="api-trial-list"),
    path(TRIAL, trial_controls.trial_detail, name="api-trial"),
    _trial_control("cancel"),
    _trial_control("retry"),
    path(TRIAL + "report/", asktell.report, name="api-report"),
    path(TRIAL + "heartbeat/", asktell.heartbeat, name="api-heartbeat"),
    path(TRIAL + "tell/", asktell.tell, name="api-tell"),
]
