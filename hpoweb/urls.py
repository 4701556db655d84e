from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from studies import compare_views, plot_views, views, worker_views
from studies.security import ThrottledAuthenticationForm

urlpatterns = [
    path("", views.study_list, name="study-list"),
    path(
        "login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("studies/new/", views.study_create, name="study-create"),
    path("studies/rows/", views.study_list_rows, name="study-list-rows"),
    path("studies/compare/", compare_views.study_compare, name="study-compare"),
    path("workers/", worker_views.worker_list, name="worker-list"),
    path("", include("studies.log_views")),
    path("", include("studies.study_tool_urls")),
    path("studies/<int:study_id>/", views.study_detail, name="study-detail"),
    path("studies/<int:study_id>/leaderboard/", views.study_leaderboard, name="study-leaderboard"),
    path("studies/<int:study_id>/header/", views.study_header, name="study-header"),
    path(
        "studies/<int:study_id>/history.json",
        plot_views.study_plot,
        {"kind": "history"},
        name="study-history",
    ),
    path("studies/<int:study_id>/plots/<slug:kind>.json", plot_views.study_plot, name="study-plot"),
    path(
        "studies/<int:study_id>/plots/<slug:kind>.csv",
        plot_views.study_plot,
        {"fmt": "csv"},
        name="study-plot-csv",
    ),
    path("studies/<int:study_id>/<slug:action>/", views.study_action, name="study-action"),
    path("studies/<int:study_id>/trials/<int:number>/", views.trial_detail, name="trial-detail"),
    path(
        "studies/<int:study_id>/trials/<int:number>/<slug:action>/", views.trial_action, name="trial-action"
    ),
    path("", include("studies.team_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("studies.api.urls")),
]
