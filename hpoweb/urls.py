"""The site: the pages (`studies.web.urls`), the JSON API (`studies.api.urls`), log in and out, admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from studies.security import ThrottledAuthenticationForm, nobody_has_logged_in

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=ThrottledAuthenticationForm,
            # a callable: the template asks it on each render
            extra_context={"first_run": nobody_has_logged_in},
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("studies.web.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("studies.api.urls")),
]
