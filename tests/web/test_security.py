"""Login throttling and the Content Security Policy."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from studies import services
from studies.models import ApiToken, AuditEvent, CommandJob
from studies.security import CONTENT_SECURITY_POLICY, LOCKED
from tests.harness import ROOT, worker_env

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_repeated_failures_lock_the_account_for_that_address_even_with_the_right_password(
    client, cast, settings
):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert _login(client, "viewer", "wrong").status_code == 200
    response = _login(client, "viewer", "pw-viewer")
    assert response.status_code == 200 and "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _login(client, "viewer", "pw-viewer", ip="10.0.0.2").status_code == 302
    assert AuditEvent.objects.get(action="login-locked").detail == "'viewer' from 10.0.0.1"


# A web process of its own (as `make run` and gunicorn start several): wrong passwords, counted there.
WRONG_PASSWORDS_IN_ANOTHER_PROCESS = """
import sys, django
django.setup()
from django.test import Client
url, username, ip, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for _ in range(n):
    assert Client().post(url, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip).status_code == 200
"""


def _fail_in_another_process(username: str, ip: str, n: int) -> None:
    subprocess.run(
        [sys.executable, "-c", WRONG_PASSWORDS_IN_ANOTHER_PROCESS, reverse("login"), username, ip, str(n)],
        env=worker_env(),
        cwd=ROOT,
        check=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_failures_in_separate_web_processes_add_up_to_one_lockout(client, cast, settings):
    """Two processes share nothing in memory: only a shared cache makes their counts one."""
    assert settings.LOGIN_MAX_FAILURES == 5  # what the other processes read from the same settings
    _fail_in_another_process("viewer", "10.0.0.7", 3)
    _fail_in_another_process("viewer", "10.0.0.7", 2)

    response = _login(client, "viewer", "pw-viewer", ip="10.0.0.7")
    assert response.status_code == 200 and LOCKED.split(";")[0] in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login-locked", detail="'viewer' from 10.0.0.7").count() == 1


def test_the_api_schema_is_for_logged_in_users_only(client, cast):
    CommandJob.objects.create(name="secret-pipeline", argv=["train"], params=["x1"])
    refused = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert refused.status_code in (401, 403) and "detail" in refused.json()
    assert "secret-pipeline" not in refused.content.decode()

    client.force_login(cast["viewer"])
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200
    _, key = ApiToken.issue(cast["viewer"], "schema")
    by_token = APIClient().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {key}")
    assert by_token.status_code == 200


def test_check_deploy_passes_on_a_database_not_yet_migrated(tmp_path):
    """A deployment checks its settings before `migrate` runs: nothing may read a table at that point."""
    env = worker_env(HPOWEB_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    env.pop("CELERY_BROKER_URL")
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "ERRORS" not in out.stderr + out.stdout


def test_the_admin_login_is_throttled_too(client, cast, settings):
    settings.LOGIN_MAX_FAILURES = 2
    url = reverse("admin:login")
    for _ in range(2):
        client.post(url, {"username": "staff", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(url, {"username": "staff", "password": "pw-staff"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200 and "Too many failed log-ins" in response.content.decode()


def test_a_successful_login_resets_the_count(client, cast, settings):
    settings.LOGIN_MAX_FAILURES = 2
    _login(client, "viewer", "wrong")
    assert _login(client, "viewer", "pw-viewer").status_code == 302
    client.logout()
    _login(client, "viewer", "wrong")
    assert _login(client, "viewer", "pw-viewer").status_code == 302


def test_every_page_carries_the_content_security_policy(client, cast, make_study):
    study = make_study()
    client.force_login(cast["owner"])
    for url in [reverse("login"), reverse("study-list"), study.get_absolute_url(), reverse("project-list")]:
        assert client.get(url)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_pages_have_no_inline_scripts_or_event_handlers(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    services.schedule_trials(study.pk)
    client.force_login(cast["staff"])
    urls = [
        reverse("login"),
        reverse("study-list"),
        reverse("study-create"),
        reverse("study-compare") + f"?studies={study.pk}",
        reverse("study-import"),
        study.get_absolute_url(),
        reverse("trial-detail", args=[study.pk, 1]),
        reverse("study-note", args=[study.pk]),
        reverse("trial-note", args=[study.pk, 1]),
        reverse("study-warm-start", args=[study.pk]),
        reverse("study-delete", args=[study.pk]),
        reverse("project-list"),
        reverse("project-detail", args=[study.project_id]),
        reverse("token-list"),
        reverse("audit-list"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+\s*=", page), url
        assert "javascript:" not in page, url


def test_the_login_page_says_where_the_first_password_is_until_someone_has_logged_in(client, cast):
    assert "manage.py changepassword admin" in client.get(reverse("login")).content.decode()
    assert _login(client, "viewer", "pw-viewer").status_code == 302
    client.logout()
    assert 'id="first-run"' not in client.get(reverse("login")).content.decode()
