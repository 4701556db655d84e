"""Study and trial controls audit themselves, whichever door (page or API) the person came through."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_control_from_the_page_or_the_api_leaves_one_audit_entry_naming_who_did_it(
    client, api, cast, make_study
):
    study = make_study(start=True)
    client.force_login(cast["editor"])
    client.post(reverse("study-action", args=[study.pk, "pause"]))
    assert api.post(reverse("api-study-resume", args=[study.pk])).status_code == 200
    assert api.post(reverse("api-study-resume", args=[study.pk])).status_code == 409, "not paused: refused"

    entries = list(AuditEvent.objects.filter(study=study).exclude(action="create").order_by("pk"))
    assert [(e.action, e.user) for e in entries] == [("pause", cast["editor"]), ("resume", cast["editor"])]
