"""Routes of the team pages (projects, members, API tokens, audit log) and the health check."""

from django.urls import path

from studies import audit_views, health_views, project_views, token_views

urlpatterns = [
    path("projects/", project_views.project_list, name="project-list"),
    path("projects/<int:project_id>/", project_views.project_detail, name="project-detail"),
    path("projects/<int:project_id>/members/", project_views.member_set, name="member-set"),
    path(
        "projects/<int:project_id>/members/<int:membership_id>/remove/",
        project_views.member_remove,
        name="member-remove",
    ),
    path("tokens/", token_views.token_list, name="token-list"),
    path("tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token-revoke"),
    path("audit/", audit_views.audit_list, name="audit-list"),
    path("healthz/", health_views.healthz, name="healthz"),
]
