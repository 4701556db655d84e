"""The fixed cast of users and builders that go through the real services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from studies import services
from studies.jobs import registry
from studies.jobs.builtins import SPACES
from studies.models import Membership, Project
from tests.harness import Worker
from tests.helpers import token_client


@pytest.fixture
def project(db):
    return Project.objects.create(name="Vision")


@pytest.fixture
def cast(db, project):
    """owner, editor, viewer of `project`; a stranger from another project; a staff admin."""
    users = get_user_model()
    people = {}
    for role in ("owner", "editor", "viewer"):
        people[role] = users.objects.create_user(role, password="pw-" + role)
        Membership.objects.create(project=project, user=people[role], role=role)
    people["stranger"] = users.objects.create_user("stranger", password="pw-stranger")
    other = Project.objects.create(name="Elsewhere")
    Membership.objects.create(project=other, user=people["stranger"], role=Membership.Role.OWNER)
    people["staff"] = users.objects.create_user(
        "staff", password="pw-staff", is_staff=True, is_superuser=True
    )
    return people


@pytest.fixture
def make_study(cast, project):
    def make(name="study", job="branin", space=None, start=False, **fields):
        fields.setdefault("max_trials", 6)
        fields.setdefault("max_parallel", 2)
        fields.update(name=name, project=project, job=job)
        if job in registry():  # as the definition stores them: with their defaults filled in
            fields["job_settings"] = registry()[job].validate_settings(fields.get("job_settings", {}))
        return services.create_study(cast["owner"], space or SPACES[job], fields, start=start)

    return make


@pytest.fixture
def api(cast):
    """The API as the project's editor, authenticated by a real token."""
    return token_client(cast["editor"])


def empty_broker() -> None:
    """Drop every message an earlier test left behind (for studies long gone): a stray message taken
    by this test's worker would change what the test observes (when it last consumed, what it ran)."""
    from django.conf import settings

    from hpoweb.celery import app

    if settings.CELERY_BROKER_URL.startswith("redis://"):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # queues and unacked messages alike
    else:
        app.control.purge()


def take_messages(queue: str) -> list[tuple[str, list]]:
    """Take every message waiting on `queue` in the real broker, in the order a worker would take
    them: each one's task name and args."""
    from hpoweb.celery import app

    taken = []
    with app.connection_for_read() as conn:
        waiting = conn.SimpleQueue(queue)
        while True:
            try:
                message = waiting.get(timeout=1)
            except waiting.Empty:
                return taken
            taken.append((message.headers.get("task"), message.payload[0]))
            message.ack()


@pytest.fixture(autouse=True)
def _empty_broker_for_workers(request):
    """Autouse, so it runs before the fixtures that start a study: emptying the broker after them
    would drop the study's own messages."""
    if "workers" in request.fixturenames:
        empty_broker()


@pytest.fixture
def workers(tmp_path):
    """Start real worker processes with `workers.start(name, ...)` (on an empty broker: see above);
    all are stopped at the end."""
    started: list[Worker] = []

    class Pool:
        def start(self, name: str, **kwargs) -> Worker:
            worker = Worker(name, tmp_path, **kwargs)
            started.append(worker)
            return worker

        @property
        def all(self) -> list[Worker]:
            return started

    yield Pool()
    for worker in started:
        worker.kill()


@pytest.fixture(scope="session", autouse=True)
def services_reachable():
    """With PostgreSQL + Redis configured, an unreachable service fails the run; it never skips."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if url.startswith("redis://"):
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            pytest.fail(f"Redis at {url} is unreachable: {error}", pytrace=False)
