"""Every page's route. Study and trial controls are listed by name: no route takes any slug."""

from __future__ import annotations

from django.urls import path, re_path

from studies.web import (
    added_trial_views,
    audit_views,
    chosen_views,
    compare_views,
    definition_views,
    export_views,
    health_views,
    log_views,
    note_views,
    optuna_views,
    plot_views,
    project_views,
    saved_views_views,
    study_views,
    tag_views,
    token_views,
    transfer_views,
    trial_compare_views,
    worker_views,
)

STUDY = "studies/<int:study_id>/"
TRIAL = STUDY + "trials/<int:number>/"

study_pages = [
    path("", study_views.study_list, name="study-list"),
    path("studies/new/", study_views.study_create, name="study-create"),
    path("studies/rows/", study_views.study_list_rows, name="study-list-rows"),
    path("studies/compare/", compare_views.study_compare, name="study-compare"),
    path("studies/import/", transfer_views.study_import, name="study-import"),
    path("studies/import/optuna/", optuna_views.study_import_optuna, name="study-import-optuna"),
    path("studies/new/from-file/", definition_views.study_create_from_file, name="study-create-from-file"),
    path(STUDY, study_views.study_detail, name="study-detail"),
    path(STUDY + "live/", study_views.study_live, name="study-live"),
    re_path(
        r"^studies/(?P<study_id>\d+)/(?P<action>start|resume|pause|cancel)/$",
        study_views.study_action,
        name="study-action",
    ),
    path(STUDY + "delete/", study_views.study_delete, name="study-delete"),
    path(STUDY + "warm-start/", transfer_views.study_warm_start, name="study-warm-start"),
    path(STUDY + "note/", note_views.study_note, name="study-note"),
    path(STUDY + "chosen/", chosen_views.study_chosen, name="study-chosen"),
    path(STUDY + "tags/", tag_views.study_tags, name="study-tags"),
    re_path(
        r"^studies/(?P<study_id>\d+)/export\.(?P<kind>csv|json)$",
        export_views.study_export,
        name="study-export",
    ),
    re_path(
        r"^studies/(?P<study_id>\d+)/definition\.(?P<kind>yaml|json)$",
        definition_views.study_definition,
        name="study-definition",
    ),
    path(STUDY + "report.html", export_views.study_report, name="study-report"),
]

plot_pages = [
    path(STUDY + "history.json", plot_views.study_plot, {"kind": "history"}, name="study-history"),
    path(STUDY + "plots/<slug:kind>.json", plot_views.study_plot, name="study-plot"),
    path(STUDY + "plots/<slug:kind>.csv", plot_views.study_plot, {"fmt": "csv"}, name="study-plot-csv"),
]

trial_pages = [
    path(STUDY + "trials/new/", added_trial_views.trial_enqueue, name="trial-enqueue"),
    path(STUDY + "trials/import/", added_trial_views.trial_import, name="trial-import"),
    path("trials/compare/", trial_compare_views.trial_compare_page, name="trial-compare"),
    path(TRIAL, study_views.trial_detail, name="trial-detail"),
    path(TRIAL + "live/", study_views.trial_live, name="trial-live"),
    re_path(
        r"^studies/(?P<study_id>\d+)/trials/(?P<number>\d+)/(?P<action>cancel|retry)/$",
        study_views.trial_action,
        name="trial-action",
    ),
    path(TRIAL + "note/", note_views.trial_note, name="trial-note"),
    path(
        TRIAL + "attempts/<int:attempt_number>/log.txt",
        log_views.attempt_log,
        name="attempt-log",
    ),
]

team_pages = [
    path("projects/", project_views.project_list, name="project-list"),
    path("projects/<int:project_id>/", project_views.project_detail, name="project-detail"),
    path("projects/<int:project_id>/members/", project_views.member_set, name="member-set"),
    path("views/save/", saved_views_views.saved_view_create, name="saved-view-create"),
    path("views/<int:view_id>/rename/", saved_views_views.saved_view_rename, name="saved-view-rename"),
    path("views/<int:view_id>/delete/", saved_views_views.saved_view_delete, name="saved-view-delete"),
    path(
        "projects/<int:project_id>/members/<int:membership_id>/remove/",
        project_views.member_remove,
        name="member-remove",
    ),
    path("tokens/", token_views.token_list, name="token-list"),
    path("tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token-revoke"),
    path("audit/", audit_views.audit_list, name="audit-list"),
    path("workers/", worker_views.worker_list, name="worker-list"),
    path("healthz/", health_views.healthz, name="healthz"),
]

urlpatterns = study_pages + plot_pages + trial_pages + team_pages
