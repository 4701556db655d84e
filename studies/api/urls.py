from django.urls import path

from studies.api import views

urlpatterns = [
    path("studies/", views.StudyListCreate.as_view(), name="api-studies"),
    path("studies/<int:study_id>/", views.StudyDetail.as_view(), name="api-study"),
    path("studies/<int:study_id>/trials/", views.TrialList.as_view(), name="api-trials"),
    path("studies/<int:study_id>/start/", views.study_start, name="api-study-start"),
    path("studies/<int:study_id>/resume/", views.study_start, name="api-study-resume"),
    path("studies/<int:study_id>/pause/", views.study_pause, name="api-study-pause"),
    path("studies/<int:study_id>/cancel/", views.study_cancel, name="api-study-cancel"),
]
