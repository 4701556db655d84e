"""API tokens from the browser: shown once, stored hashed, expiring, revocable, scoped to their user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from studies.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_created_in_the_browser_is_shown_once_and_works(client, cast):
    client.force_login(cast["editor"])
    response = client.post(reverse("token-list"), {"name": "laptop", "expires_in": "30"})
    key = response.context["key"]
    token = ApiToken.objects.get(user=cast["editor"])
    assert key in response.content.decode() and response["Cache-Control"] == "no-store"
    assert token.key_hash != key and token.prefix == key[:8]
    assert timedelta(days=29) < token.expires - timezone.now() <= timedelta(days=30)
    assert key not in client.get(reverse("token-list")).content.decode()
    assert _api(key).get("/api/studies/").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    assert "laptop" in client.get(reverse("token-list")).content.decode()


def test_a_revoked_token_is_refused_and_both_steps_are_in_the_audit_log(client, cast):
    client.force_login(cast["editor"])
    key = client.post(reverse("token-list"), {"name": "ci"}).context["key"]
    token = ApiToken.objects.get(user=cast["editor"])
    client.post(reverse("token-revoke", args=[token.pk]))
    assert _api(key).get("/api/studies/").status_code == 401
    actions = set(AuditEvent.objects.filter(user=cast["editor"]).values_list("action", flat=True))
    assert {"token-create", "token-revoke"} <= actions


def test_an_expired_token_is_refused(cast):
    _token, key = ApiToken.issue(cast["editor"], expires=timezone.now() - timedelta(seconds=1))
    assert _api(key).get("/api/studies/").status_code == 401


def test_a_wrong_or_malformed_token_is_refused(cast):
    ApiToken.issue(cast["editor"])
    assert _api("x" * 43).get("/api/studies/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert client.get("/api/studies/").status_code == 401


def test_nobody_sees_or_revokes_another_users_token(client, cast):
    token, key = ApiToken.issue(cast["editor"], name="editors-token")
    for who in ("viewer", "staff"):
        client.force_login(cast[who])
        assert "editors-token" not in client.get(reverse("token-list")).content.decode()
        assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 404
    assert _api(key).get("/api/studies/").status_code == 200


def test_a_token_has_its_users_permissions(cast, make_study):
    study = make_study()
    _token, viewer_key = ApiToken.issue(cast["viewer"])
    assert _api(viewer_key).get(f"/api/studies/{study.pk}/").status_code == 200
    assert _api(viewer_key).post(f"/api/studies/{study.pk}/start/").status_code == 404


def test_revoking_a_token_asks_first(client, cast):
    ApiToken.issue(cast["editor"], name="ci runner")
    client.force_login(cast["editor"])
    page = client.get(reverse("token-list")).content.decode()
    assert 'data-confirm="Revoke token ci runner? Every script and worker using it is refused' in page
    assert 'aria-label="Revoke the token ci runner"' in page
