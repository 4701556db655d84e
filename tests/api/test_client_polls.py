"""What an external worker's waiting costs the server: `hpoweb_client` polls a study's state while
`ask` has nothing for it, and that poll must not count as someone watching the study's analysis
(`services.mark_watched`), or every waiting agent keeps a gp study's model fits running."""

from __future__ import annotations

import uuid

import pytest

from studies import services
from studies.jobs.builtins import SPACES
from studies.models import ApiToken, Project, Study
from tests.helpers import run_trials, token_client

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_worker_waiting_for_a_slot_reads_the_state_without_keeping_the_analysis_running(
    live_server, cast, make_study, settings
):
    from hpoweb_client import Client

    # who watches a study lives in the cache: one of this test's own
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}}
    study = make_study(name="agents", job="external", space=SPACES["branin"], optimizer="gp", max_trials=8)
    _token, key = ApiToken.issue(cast["editor"])

    study = run_trials(study, [3.0])  # a best trial: the study's own page now shows its recommendation
    assert Client(live_server.url, key).study_state(study.pk) == "running"  # the waiting worker's poll
    run_trials(study, [1.0])  # the next result

    assert Study.objects.get(pk=study.pk).analysis_requested is None, "nobody watched: no analysis asked"


def test_the_study_list_finds_one_study_by_its_id_and_only_one_the_caller_may_see(cast, make_study):
    mine = make_study(name="mine")
    make_study(name="other")
    elsewhere = Project.objects.get(name="Elsewhere")
    theirs = services.create_study(
        cast["stranger"], SPACES["branin"], {"name": "t", "project": elsewhere, "job": "branin"}
    )
    api = token_client(cast["viewer"])

    assert [s["name"] for s in api.get("/api/studies/", {"id": mine.pk}).json()["results"]] == ["mine"]
    assert api.get("/api/studies/", {"id": theirs.pk}).json()["results"] == []  # another project's
    assert api.get("/api/studies/", {"id": "x"}).status_code == 400
