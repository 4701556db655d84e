"""An external study's page shows the exact commands that start agents for it."""

from __future__ import annotations

import pytest

from studies.jobs.builtins import SPACES

pytestmark = pytest.mark.django_db


def test_an_external_study_shows_the_login_and_agent_commands_to_copy(client, cast, make_study):
    study = make_study(job="external", space=SPACES["branin"])
    client.force_login(cast["viewer"])

    page = client.get(study.get_absolute_url()).content.decode()

    assert "hpoweb login http://testserver</code>" in page
    assert f"hpoweb agent {study.pk} -- python train.py</code>" in page


def test_a_study_run_by_hpoweb_workers_shows_no_agent_command(client, cast, make_study):
    study = make_study()
    client.force_login(cast["viewer"])

    assert "hpoweb agent" not in client.get(study.get_absolute_url()).content.decode()
