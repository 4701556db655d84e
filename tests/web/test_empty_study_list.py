"""A new user's empty study list says what to do next: an editor is offered to create a study (as
before); someone who may not is told whom to ask."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_user_who_may_not_create_studies_is_told_whom_to_ask(client, cast):
    client.force_login(get_user_model().objects.create_user("newcomer", password="pw"))
    page = client.get(reverse("study-list")).content.decode()
    assert "No studies yet. To create one, ask a project owner or an admin to make you an editor" in page
    assert "Create one</a>" not in page
    searched = client.get(reverse("study-list"), {"search": "nothing"}).content.decode()
    assert "No study matches." in searched and "ask a project owner" not in searched
