from django.urls import include, path, re_path

from studies.api import exports, transfers, views

urlpatterns = [
    path("", include("studies.api.asktell")),
    path("", include("studies.api.trial_controls")),
    path("definition/", views.definition_schema, name="api-definition"),
    path("studies/", views.StudyListCreate.as_view(), name="api-studies"),
    path("studies/<int:study_id>/", views.StudyDetail.as_view(), name="api-study"),
    path("studies/<int:study_id>/trials/", views.TrialList.as_view(), name="api-trials"),
    path("studies/<int:study_id>/start/", views.study_start, name="api-study-start"),
    path("studies/<int:study_id>/resume/", views.study_resume, name="api-study-resume"),
    path("studies/<int:study_id>/pause/", views.study_pause, name="api-study-pause"),
    path("studies/<int:study_id>/cancel/", views.study_cancel, name="api-study-cancel"),
    re_path(
        r"^studies/(?P<study_id>\d+)/export\.(?P<kind>csv|json)$",
        exports.study_export,
        name="api-study-export",
    ),
    path("studies/<int:study_id>/export/", exports.study_export, name="api-study-export-negotiated"),
    path("studies/import/", transfers.study_import, name="api-study-import"),
    path("studies/<int:study_id>/warm-start/", transfers.study_warm_start, name="api-study-warm-start"),
]
