"""The fixed cast against every page and API route: who may read, who may change, 404 for the rest.

To add a route, add one `Route` to ROUTES; `test_every_route_is_in_the_matrix` fails until you do.
`who` says which roles may use it:
  any     every logged-in user (the route shows only what they may see)
  read    members of the study's project (viewer, editor, owner) and staff
  change  editors and owners of the project, and staff
  manage  the project's owners and staff
  staff   staff only
Allowed roles get neither 401/403/404 nor a 5xx; the others get 404 and never the study's name.
Anonymous users are sent to the login page (pages) or refused (API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from studies import services
from studies.models import ApiToken, AttemptLog, Membership, SavedView
from studies.services import WorkerIdentity

pytestmark = pytest.mark.django_db

SECRET = "matrix-secret-study"
ROLES = ("owner", "editor", "viewer", "stranger", "staff")
ALLOWED = {
    "any": set(ROLES),
    "read": {"owner", "editor", "viewer", "staff"},
    "change": {"owner", "editor", "staff"},
    "manage": {"owner", "staff"},
    "staff": {"staff"},
}
EXEMPT = {"login", "logout", "healthz"}


@dataclass
class World:
    study: object
    trial: object
    project: object
    cast: dict


def _study(w: World) -> dict:
    return {"study_id": w.study.pk}


def _trial(w: World) -> dict:
    return {"study_id": w.study.pk, "number": w.trial.number}


def _saved_view(w: World) -> dict:
    view, _ = SavedView.objects.get_or_create(
        project=w.project, name="saved", address=w.study.get_absolute_url()
    )
    return {"view_id": view.pk}


@dataclass
class Route:
    name: str
    who: str
    method: str = "get"
    kwargs: Callable[[World], dict] = _study
    data: Callable[[World], dict] = field(default=lambda w: {})
    api: bool = False

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


ROUTES = [
    Route("study-list", "any", kwargs=lambda w: {}),
    Route("study-list-rows", "any", kwargs=lambda w: {}),
    Route("study-create", "any", kwargs=lambda w: {}),
    Route("study-compare", "any", kwargs=lambda w: {}, data=lambda w: {"studies": [w.study.pk]}),
    Route("study-import", "any", kwargs=lambda w: {}),
    Route("study-import-optuna", "any", kwargs=lambda w: {}),
    Route("study-create-from-file", "any", kwargs=lambda w: {}),
    Route("study-definition", "read", kwargs=lambda w: {"study_id": w.study.pk, "kind": "yaml"}),
    Route("study-detail", "read"),
    Route("study-live", "read"),
    Route("study-history", "read"),
    Route("study-plot", "read", kwargs=lambda w: {"study_id": w.study.pk, "kind": "history"}),
    Route("study-plot-csv", "read", kwargs=lambda w: {"study_id": w.study.pk, "kind": "history"}),
    Route("study-export", "read", kwargs=lambda w: {"study_id": w.study.pk, "kind": "csv"}),
    Route("study-report", "read"),
    Route("study-warm-start", "read"),
    Route("trial-detail", "read", kwargs=_trial),
    Route("trial-live", "read", kwargs=_trial),
    Route(
        "attempt-log",
        "read",
        kwargs=lambda w: {"study_id": w.study.pk, "number": w.trial.number, "attempt_number": 1},
    ),
    Route("study-action", "change", "post", kwargs=lambda w: {"study_id": w.study.pk, "action": "pause"}),
    Route("study-note", "change"),
    Route("trial-enqueue", "change"),
    Route("trial-enqueue", "change", "post", data=lambda w: {"x1": "1", "x2": "1"}),
    Route("trial-import", "change"),
    Route("trial-import", "change", "post"),
    Route("study-note", "change", "post", data=lambda w: {"note": "changed"}),
    Route("study-chosen", "change", "post", data=lambda w: {"trial": ""}),
    Route("study-tags", "change"),
    Route("study-tags", "change", "post", data=lambda w: {"tags": "baseline"}),
    Route("study-delete", "change"),
    Route("study-delete", "change", "post"),
    Route("trial-compare", "read", kwargs=lambda w: {}, data=lambda w: {"ids": str(w.trial.pk)}),
    Route("trial-note", "change", "post", kwargs=_trial, data=lambda w: {"note": "changed"}),
    Route(
        "trial-action",
        "change",
        "post",
        kwargs=lambda w: {"study_id": w.study.pk, "number": w.trial.number, "action": "cancel"},
    ),
    Route("project-list", "any", kwargs=lambda w: {}),
    Route("worker-list", "any", kwargs=lambda w: {}),
    Route("project-detail", "read", kwargs=lambda w: {"project_id": w.project.pk}),
    Route(
        "member-set",
        "manage",
        "post",
        kwargs=lambda w: {"project_id": w.project.pk},
        data=lambda w: {"username": "stranger", "role": "viewer"},
    ),
    Route(
        "member-remove",
        "manage",
        "post",
        kwargs=lambda w: {
            "project_id": w.project.pk,
            "membership_id": Membership.objects.get(project=w.project, user=w.cast["viewer"]).pk,
        },
    ),
    Route("token-list", "any", kwargs=lambda w: {}),
    # anyone may post; the form only takes projects the user edits (tests/web/test_saved_views.py)
    Route(
        "saved-view-create",
        "any",
        "post",
        kwargs=lambda w: {},
        data=lambda w: {"project": w.project.pk, "name": "v", "address": w.study.get_absolute_url()},
    ),
    Route(
        "saved-view-rename", "change", "post", kwargs=lambda w: _saved_view(w), data=lambda w: {"name": "n"}
    ),
    Route("saved-view-delete", "change", "post", kwargs=lambda w: _saved_view(w)),
    Route("audit-list", "staff", kwargs=lambda w: {}),
    # the API, with each user's token
    Route("api-studies", "any", kwargs=lambda w: {}, api=True),
    Route("api-definition", "any", kwargs=lambda w: {}, api=True),
    Route("api-schema", "any", kwargs=lambda w: {}, api=True),
    Route("api-study", "read", api=True),
    Route("api-study", "change", "delete", api=True),
    Route("api-trials", "read", api=True),
    Route("api-study-tags", "read", api=True),
    Route("api-study-tags", "change", "put", data=lambda w: {"tags": ["baseline"]}, api=True),
    Route("api-trials", "change", "post", data=lambda w: {"params": {"x1": 1.0, "x2": 1.0}}, api=True),
    Route("api-trial-import", "change", "post", api=True),
    Route(
        "api-study-definition",
        "read",
        kwargs=lambda w: {"study_id": w.study.pk, "kind": "json"},
        api=True,
    ),
    Route("api-study-export", "read", kwargs=lambda w: {"study_id": w.study.pk, "kind": "json"}, api=True),
    Route("api-study-export-negotiated", "read", data=lambda w: {"format": "csv"}, api=True),
    Route("api-study-start", "change", "post", api=True),
    Route("api-study-resume", "change", "post", api=True),
    Route("api-study-pause", "change", "post", api=True),
    Route("api-study-cancel", "change", "post", api=True),
    Route("api-study-warm-start", "read", "post", data=lambda w: {"name": "warm-copy"}, api=True),
    Route("api-study-chosen", "change", "post", data=lambda w: {"trial": None}, api=True),
    Route("api-study-import", "any", "post", kwargs=lambda w: {}, data=lambda w: {"format": "x"}, api=True),
    Route("api-ask", "change", "post", data=lambda w: {"worker": "w1"}, api=True),
    Route("api-report", "change", "post", kwargs=lambda w: {"trial_id": w.trial.pk}, api=True),
    Route("api-heartbeat", "change", "post", kwargs=lambda w: {"trial_id": w.trial.pk}, api=True),
    Route("api-tell", "change", "post", kwargs=lambda w: {"trial_id": w.trial.pk}, api=True),
    Route("api-trial", "read", kwargs=lambda w: {"trial_id": w.trial.pk}, api=True),
    Route("api-trial-list", "read", kwargs=lambda w: {}, data=lambda w: {"ids": str(w.trial.pk)}, api=True),
    Route("api-trial-cancel", "change", "post", kwargs=lambda w: {"trial_id": w.trial.pk}, api=True),
    Route("api-trial-retry", "change", "post", kwargs=lambda w: {"trial_id": w.trial.pk}, api=True),
]
# Token pages act on the user's own tokens only: tests/test_tokens.py covers them.
EXEMPT |= {"token-revoke"}


@pytest.fixture
def world(cast, project, make_study) -> World:
    study = make_study(name=SECRET, max_trials=2, max_parallel=2)
    study.set_state("running")
    first, _second = services.schedule_trials(study.pk)
    attempt = services.claim_trial(first, WorkerIdentity.current("matrix"))
    AttemptLog.objects.create(attempt=attempt, text="log line", n_bytes=8)
    return World(study=study, trial=attempt.trial, project=project, cast=cast)


def _request(route: Route, world: World, user):
    url = reverse(route.name, kwargs=route.kwargs(world))
    if route.api:
        client = APIClient()
        if user is not None:
            _token, key = ApiToken.issue(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return getattr(client, route.method)(url, route.data(world), format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, route.method)(url, route.data(world))


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_role_may_use_exactly_the_routes_its_role_allows(route, role, world):
    response = _request(route, world, world.cast[role])
    if role in ALLOWED[route.who]:
        assert response.status_code not in (401, 403, 404), (route, role, response.status_code)
        assert response.status_code < 500
    else:
        assert response.status_code == 404, (route, role, response.status_code)
    if role not in ALLOWED["read"]:
        assert SECRET not in _body(response), (route, role)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_anonymous_users_are_sent_to_log_in_or_refused(route, world):
    response = _request(route, world, None)
    if route.api:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _route_names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                names |= _route_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_route_is_in_the_matrix():
    missing = _route_names(get_resolver().url_patterns) - {r.name for r in ROUTES} - EXEMPT
    assert not missing, f"add these routes to ROUTES: {sorted(missing)}"
