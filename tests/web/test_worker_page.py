"""The workers page: busy, idle, lost and connected-but-not-consuming workers; trials named to members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studies import services
from studies.models import WorkerStatus
from studies.services import WorkerIdentity

pytestmark = pytest.mark.django_db


def _worker(name: str, seen_s_ago: float = 0, consumed_s_ago: float | None = 0, **fields) -> WorkerStatus:
    now = timezone.now()
    return WorkerStatus.objects.create(
        name=name,
        host="gpu-box",
        pid=4242,
        queues=fields.pop("queues", "hpoweb"),
        started=now - timedelta(hours=1),
        last_seen=now - timedelta(seconds=seen_s_ago),
        last_consumed=None if consumed_s_ago is None else now - timedelta(seconds=consumed_s_ago),
        **fields,
    )


def _health(response) -> dict[str, str]:
    return {row.worker.name: row.health for row in response.context["rows"]}


def test_the_page_tells_busy_idle_and_lost_workers_apart_and_names_the_current_trial(
    client, cast, make_study
):
    study = make_study(name="visible-study", start=True)
    [trial_id, *_] = services.schedule_trials(study.pk)
    _worker("busy@a")
    services.claim_trial(trial_id, WorkerIdentity("busy@a", "gpu-box", 4242))
    _worker("idle@a")
    _worker("gone@a", seen_s_ago=3600)
    client.force_login(cast["viewer"])

    response = client.get("/workers/")

    assert _health(response) == {"busy@a": "busy", "idle@a": "idle", "gone@a": "lost"}
    assert "visible-study #" in response.content.decode()
    assert "no sign of life for 360" in response.content.decode()


def test_an_idle_worker_that_takes_nothing_while_a_trial_waits_is_flagged_not_consuming(
    client, cast, make_study, settings
):
    study = make_study(start=True)
    services.schedule_trials(study.pk)
    study.trials.update(enqueued=timezone.now() - timedelta(seconds=settings.HPOWEB["GRACE_S"] + 30))
    _worker("stuck@a", consumed_s_ago=3600)
    _worker("fresh@a", consumed_s_ago=1)
    _worker("elsewhere@a", consumed_s_ago=3600, queues="gpu")
    client.force_login(cast["owner"])

    response = client.get("/workers/")

    assert _health(response) == {"stuck@a": "not consuming", "fresh@a": "idle", "elsewhere@a": "idle"}
    assert "restart it" in response.content.decode()


def test_a_stranger_sees_the_worker_but_not_which_study_it_runs(client, cast, make_study):
    study = make_study(name="secret-study", start=True)
    [trial_id, *_] = services.schedule_trials(study.pk)
    _worker("busy@a")
    services.claim_trial(trial_id, WorkerIdentity("busy@a", "gpu-box", 4242))
    client.force_login(cast["stranger"])

    page = client.get("/workers/").content.decode()

    assert "busy@a" in page and "secret-study" not in page and "a trial of another project" in page


def test_htmx_polls_get_only_the_table(client, cast):
    _worker("idle@a")
    client.force_login(cast["viewer"])
    fragment = client.get("/workers/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<table class="grid" id="worker-table">')


def test_a_worker_whose_trial_has_ended_shows_as_idle(client, cast, make_study):
    study = make_study(start=True)
    [trial_id, *_] = services.schedule_trials(study.pk)
    _worker("done@a")
    attempt = services.claim_trial(trial_id, WorkerIdentity("done@a", "gpu-box", 4242))
    services.finish_attempt(attempt.pk, services.Outcome("complete", value=1.0))
    client.force_login(cast["owner"])

    assert _health(client.get("/workers/")) == {"done@a": "idle"}
