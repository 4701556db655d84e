"""Short lifecycle timings for the worker processes and for the services this test process calls."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.reliability.fleet import TIMINGS, Fleet


@pytest.fixture
def fleet(workers, tmp_path, settings):
    settings.HPOWEB = {**settings.HPOWEB, **TIMINGS}
    fleet = Fleet(workers, tmp_path)
    yield fleet
    fleet.stop()


@pytest.fixture
def services_session(settings):
    """Restarting Redis and PostgreSQL proves something only on them; elsewhere fail, never skip."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("this test needs PostgreSQL + Redis: run it with make test-services", pytrace=False)
