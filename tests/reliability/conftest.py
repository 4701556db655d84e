"""Short lifecycle timings for the worker processes and for the services this test process calls."""

from __future__ import annotations

import pytest

from tests.reliability.fleet import TIMINGS, Fleet


@pytest.fixture
def fleet(workers, tmp_path, settings):
    settings.HPOWEB = {**settings.HPOWEB, **TIMINGS}
    fleet = Fleet(workers, tmp_path)
    yield fleet
    fleet.stop()
