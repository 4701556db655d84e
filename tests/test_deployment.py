"""What can be checked of the deployment without a Docker engine: the compose file, the image's entry
commands, the environment it documents, and `check --deploy` under the production settings."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shlex
import subprocess
import sys

import pytest
import yaml
from django.core.management import get_commands
from django.urls import reverse

from studies.models import Study
from tests.harness import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCS = (ROOT / "docs" / "deployment.md").read_text()


def _command(service: str) -> str:
    command = SERVICES[service]["command"]
    return command if isinstance(command, str) else shlex.join(command)


def test_the_compose_file_names_every_service_the_docs_describe():
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", DOCS, flags=re.M))
    assert documented == set(SERVICES) and {"postgres", "redis", "web", "worker", "beat"} <= documented


def test_postgres_and_redis_keep_their_data_and_redis_is_configured_as_a_broker_must_be():
    assert any(v.startswith("pgdata:") for v in SERVICES["postgres"]["volumes"])
    assert any(v.startswith("redisdata:") for v in SERVICES["redis"]["volumes"])
    redis = _command("redis")
    for flag in ("--appendonly yes", "--maxmemory-policy noeviction", "--requirepass"):
        assert flag in redis
    for service in ("postgres", "redis", "web"):
        assert SERVICES[service]["healthcheck"]["test"], service


def test_the_web_migrates_then_runs_gunicorn_and_the_app_services_wait_for_healthy_dependencies():
    web = _command("web")
    assert web.index("manage.py migrate") < web.index("gunicorn hpoweb.wsgi")
    assert "/healthz/" in str(SERVICES["web"]["healthcheck"]["test"])
    assert _command("worker").startswith("celery -A hpoweb worker") and "-Q hpoweb" in _command("worker")
    assert _command("worker-gpu").startswith("celery -A hpoweb worker") and "-Q gpu" in _command("worker-gpu")
    assert _command("beat").startswith("celery -A hpoweb beat")
    for service in ("web", "worker", "beat"):
        deps = SERVICES[service]["depends_on"]
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy"
        assert "container_name" not in SERVICES[service] and "ports" not in SERVICES["worker"]


def test_the_image_is_slim_non_root_and_collects_hashed_static_files():
    assert DOCKERFILE.startswith("#") and "FROM python:3.11-slim" in DOCKERFILE
    assert "RUN pip install ." in DOCKERFILE and "collectstatic" in DOCKERFILE
    assert "STATIC_MANIFEST=true" in DOCKERFILE and re.search(r"^USER hpoweb$", DOCKERFILE, flags=re.M)
    for copied in re.findall(r"^COPY (.+?) \S+$", DOCKERFILE, flags=re.M):
        for path in copied.split():
            assert (ROOT / path).exists(), path


def test_every_entry_command_exists():
    texts = [DOCKERFILE, *(_command(s) for s in SERVICES if "command" in SERVICES[s] and s not in ("redis",))]
    commands = {name for text in texts for name in re.findall(r"python manage\.py (\w+)", text)}
    assert {"migrate", "ensure_admin", "collectstatic"} <= commands
    assert commands <= set(get_commands())
    assert importlib.util.find_spec("gunicorn") and importlib.util.find_spec("whitenoise")
    from hpoweb.celery import app
    from hpoweb.wsgi import application

    assert callable(application) and app.main == "hpoweb"
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"workers.reap", "workers.reconcile"} <= scheduled <= set(app.tasks)


def test_env_example_lists_every_variable_the_code_reads():
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    read = set()
    for package in ("hpoweb", "studies", "workers"):
        for path in (ROOT / package).rglob("*.py"):
            read |= set(
                re.findall(r"env_(?:str|bool|float|list)\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text())
            )
    compose_vars = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert read and read <= listed, sorted(read - listed)
    assert compose_vars <= listed, sorted(compose_vars - listed)


def test_the_production_settings_pass_check_deploy(tmp_path):
    env = {
        **{
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")
        },
        "DJANGO_SETTINGS_MODULE": "hpoweb.settings",
        "HPOWEB_DATA_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "hpoweb.example.org,localhost",
        "CSRF_TRUSTED_ORIGINS": "https://hpoweb.example.org",
        "SECURE_COOKIES": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "SECURE_PROXY_SSL_HEADER": "true",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    result = subprocess.run(
        [*manage, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_the_health_check_answers_without_a_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.django_db
def test_a_study_created_in_the_browser_targets_the_queue_it_names(client, cast, project):
    from tests.helpers import study_form

    client.force_login(cast["editor"])
    client.post(reverse("study-create"), study_form(project=str(project.pk), name="on-gpu", queue="gpu"))
    client.post(reverse("study-create"), study_form(project=str(project.pk), name="default-queue"))
    assert Study.objects.get(name="on-gpu").queue == "gpu"
    assert Study.objects.get(name="default-queue").queue == "hpoweb"
    bad = study_form(project=str(project.pk), name="bad", queue="a b")
    response = client.post(reverse("study-create"), bad)
    assert response.status_code == 200 and not Study.objects.filter(name="bad").exists()


@pytest.mark.slow
def test_the_image_build_step_collects_static_files_that_the_pages_find(tmp_path):
    """The Dockerfile's collectstatic with hashed names, then a page rendered against that manifest."""
    env = {
        **{
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")
        },
        "DJANGO_SETTINGS_MODULE": "hpoweb.settings",
        "HPOWEB_DATA_DIR": str(tmp_path / "data"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "STATIC_MANIFEST": "true",
        "SECRET_KEY": "collectstatic-only",
        "DEBUG": "false",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT, timeout=300)
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/login/')\n"
        "assert r.status_code == 200, r.status_code\n"
        "print(r.content.decode())\n"
    )
    page = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert page.returncode == 0, page.stderr
    assert re.search(r"vendor/plotly-strict-3\.7\.0\.min\.[0-9a-f]{12}\.js", page.stdout)
