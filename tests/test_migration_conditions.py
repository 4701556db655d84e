"""The conditions migration keeps every stored parameter, with no condition."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.test_migrations import _migrate, latest_schema_afterwards  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_existing_parameters_keep_their_definition_and_have_no_condition():
    old = _migrate([("studies", "0005_hardening")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    old.get_model("studies", "ParameterRecord").objects.create(
        space=space, position=0, name="opt", kind="categorical", choices=["sgd", "adam"]
    )
    old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin"
    )

    new = _migrate([("studies", "0007_conditions")])
    parameter = new.get_model("studies", "ParameterRecord").objects.get(space_id=space.pk)
    assert (parameter.name, parameter.choices, parameter.when) == ("opt", ["sgd", "adam"], None)
