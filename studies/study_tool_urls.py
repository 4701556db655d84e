"""Routes for a study's downloads, notes, warm start, import and delete; included before the generic
`studies/<id>/<action>/` route so these names are not taken for study actions."""

from django.urls import path, re_path

from studies import export_views, note_views, transfer_views

urlpatterns = [
    path("studies/import/", transfer_views.study_import, name="study-import"),
    re_path(
        r"^studies/(?P<study_id>\d+)/export\.(?P<kind>csv|json)$",
        export_views.study_export,
        name="study-export",
    ),
    path("studies/<int:study_id>/report.html", export_views.study_report, name="study-report"),
    path("studies/<int:study_id>/warm-start/", transfer_views.study_warm_start, name="study-warm-start"),
    path("studies/<int:study_id>/delete/", transfer_views.study_delete, name="study-delete"),
    path("studies/<int:study_id>/note/", note_views.study_note, name="study-note"),
    path("studies/<int:study_id>/trials/<int:number>/note/", note_views.trial_note, name="trial-note"),
]
