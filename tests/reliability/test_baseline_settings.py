"""The baseline settings (docs/reliability.md), as each deployment shape gets them from hpoweb."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.harness import ROOT

_DUMP = """
import json
import django
django.setup()
from django.conf import settings as s
from hpoweb.celery import app
import workers.tasks
c = app.conf
print(json.dumps({
    "db": {k: v for k, v in s.DATABASES["default"].items() if k != "TEST"},
    "broker_options": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "data_dir": str(s.DATA_DIR),
    "cache": s.CACHES["default"],
    "celery": {k: c[k] for k in ("task_serializer", "result_serializer", "accept_content",
        "worker_prefetch_multiplier", "worker_disable_prefetch", "worker_soft_shutdown_timeout",
        "broker_connection_retry", "broker_connection_retry_on_startup", "broker_connection_max_retries",
        "worker_pool")},
    "acks_late": {name: app.tasks[name].acks_late for name in
        ("workers.run_trial", "workers.schedule_study", "workers.reap", "workers.reconcile")},
}, default=str))
"""


def _settings(**env: str) -> dict:
    unset = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(env, DJANGO_SETTINGS_MODULE="hpoweb.settings")
    out = subprocess.run([sys.executable, "-c", _DUMP], cwd=ROOT, env=environ, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> dict:
    return _settings(HPOWEB_DATA_DIR=str(tmp_path_factory.mktemp("embedded")))


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> dict:
    return _settings(
        HPOWEB_DATA_DIR=str(tmp_path_factory.mktemp("services")),
        DATABASE_URL="postgres://hpoweb@db.example:5432/hpoweb",
        CELERY_BROKER_URL="redis://redis.example:6379/0",
    )


@pytest.mark.parametrize("shape", ["embedded", "services"])
def test_celery_speaks_json_only_acks_the_long_task_early_and_never_hoards_trials(shape, request):
    conf = request.getfixturevalue(shape)
    celery = conf["celery"]
    assert celery["task_serializer"] == celery["result_serializer"] == "json"
    assert celery["accept_content"] == ["json"]
    assert conf["acks_late"] == {
        "workers.run_trial": False,
        "workers.schedule_study": True,
        "workers.reap": True,
        "workers.reconcile": True,
    }
    assert celery["worker_prefetch_multiplier"] == 1
    # Celery honours it on Redis only, and warns at every worker start on the filesystem broker.
    assert celery["worker_disable_prefetch"] is (shape == "services")
    assert celery["worker_pool"] == "solo"
    assert 0 < celery["worker_soft_shutdown_timeout"] <= 60
    assert celery["broker_connection_retry"] and celery["broker_connection_retry_on_startup"]
    assert celery["broker_connection_max_retries"] is None, "the broker connection is retried forever"


def test_redis_connections_are_health_checked(services):
    options = services["broker_options"]
    assert 0 < options["health_check_interval"] <= 30
    assert options["socket_keepalive"] and options["socket_timeout"]


def test_sqlite_starts_write_transactions_immediately_in_wal_mode_and_waits_for_the_lock(embedded):
    db = embedded["db"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert 20 <= db["OPTIONS"]["timeout"] <= 60
    assert not db.get("ATOMIC_REQUESTS")


def test_the_filesystem_broker_keeps_all_its_folders_in_the_data_folder(embedded):
    options = embedded["broker_options"]
    folders = [
        options[k] for k in ("control_folder", "data_folder_in", "data_folder_out", "processed_folder")
    ]
    assert all(folder.startswith(embedded["data_dir"]) for folder in folders), folders


def test_login_throttling_counts_in_a_cache_every_web_process_shares(embedded, services, tmp_path):
    assert embedded["cache"] == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": embedded["data_dir"] + "/cache",
    }
    assert services["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis.example:6379/0",
    }
    own = _settings(
        HPOWEB_DATA_DIR=str(tmp_path),
        CACHE_URL="redis://cache.example:6379/1",
        CELERY_BROKER_URL="redis://redis.example/0",
    )
    assert own["cache"]["LOCATION"] == "redis://cache.example:6379/1"


def test_postgresql_connections_are_health_checked_before_reuse(services):
    db = services["db"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["CONN_HEALTH_CHECKS"] is True
    assert not db.get("ATOMIC_REQUESTS")
