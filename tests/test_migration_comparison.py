"""Migration 0010 (study tags, saved views) keeps every existing study and project."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("studies", "0005_hardening")]
AFTER = [("studies", "0010_comparison")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Other tests expect the newest schema: put it back whatever a test migrated to."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_comparison_migration_keeps_a_study_and_lets_it_be_tagged_and_its_project_save_views():
    old = _migrate(BEFORE)
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin"
    )

    new = _migrate(AFTER)
    kept = new.get_model("studies", "Study").objects.get(name="kept")
    tags = new.get_model("studies", "StudyTag").objects
    assert not tags.filter(study=kept).exists()
    tags.create(study=kept, name="baseline")
    assert list(tags.filter(study=kept).values_list("name", flat=True)) == ["baseline"]
    views = new.get_model("studies", "SavedView").objects
    views.create(project_id=kept.project_id, name="best", address=f"/studies/{kept.pk}/?filter=value+%3C+1")
    assert views.get(project_id=kept.project_id).name == "best"
