"""Projects and members: two teams share one instance without seeing each other's studies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import saved_views
from studies.models import AuditEvent, Membership, Project
from studies.services import audit

pytestmark = pytest.mark.django_db


def test_a_user_lists_only_the_projects_they_belong_to_with_their_role(client, cast, make_study):
    make_study()
    client.force_login(cast["viewer"])
    response = client.get(reverse("project-list"))
    page = response.content.decode()
    assert "Vision" in page and "Elsewhere" not in page
    [vision] = response.context["projects"]
    assert vision.my_role == "viewer" and vision.n_studies == 1
    client.force_login(cast["staff"])
    page = client.get(reverse("project-list")).content.decode()
    assert "Vision" in page and "Elsewhere" in page


def test_a_project_page_shows_its_studies_and_members_and_hides_other_teams(
    client, cast, project, make_study
):
    make_study(name="vision-study")
    client.force_login(cast["viewer"])
    page = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert "vision-study" in page and "editor" in page and "stranger" not in page
    client.force_login(cast["stranger"])
    assert client.get(reverse("project-detail", args=[project.pk])).status_code == 404


def test_only_staff_create_projects_and_the_creator_owns_it(client, cast):
    client.force_login(cast["owner"])
    assert client.post(reverse("project-list"), {"name": "Audio"}).status_code == 404
    client.force_login(cast["staff"])
    response = client.post(reverse("project-list"), {"name": "Audio", "description": "speech"})
    audio = Project.objects.get(name="Audio")
    assert response["Location"] == reverse("project-detail", args=[audio.pk])
    assert audio.memberships.get().user == cast["staff"]


def test_an_owner_adds_changes_and_removes_members(client, cast, project):
    client.force_login(cast["owner"])
    url = reverse("member-set", args=[project.pk])
    client.post(url, {"username": "stranger", "role": "viewer"})
    assert Membership.objects.get(project=project, user=cast["stranger"]).role == "viewer"
    client.post(url, {"username": "stranger", "role": "editor"})
    membership = Membership.objects.get(project=project, user=cast["stranger"])
    assert membership.role == "editor"
    client.post(reverse("member-remove", args=[project.pk, membership.pk]))
    assert not Membership.objects.filter(project=project, user=cast["stranger"]).exists()
    assert AuditEvent.objects.filter(action__in=["member-set", "member-remove"]).count() == 3


def test_editors_and_viewers_cannot_manage_members(client, cast, project):
    for who in ("editor", "viewer", "stranger"):
        client.force_login(cast[who])
        response = client.post(reverse("member-set", args=[project.pk]), {"username": who, "role": "owner"})
        assert response.status_code == 404
    assert Membership.objects.get(project=project, user=cast["editor"]).role == "editor"


def test_the_last_owner_cannot_be_removed_or_demoted(client, cast, project):
    client.force_login(cast["owner"])
    membership = Membership.objects.get(project=project, user=cast["owner"])
    response = client.post(reverse("member-remove", args=[project.pk, membership.pk]), follow=True)
    assert "at least one owner" in response.content.decode()
    client.post(reverse("member-set", args=[project.pk]), {"username": "owner", "role": "viewer"})
    assert Membership.objects.get(pk=membership.pk).role == "owner"


def test_an_unknown_username_is_reported(client, cast, project):
    client.force_login(cast["owner"])
    response = client.post(
        reverse("member-set", args=[project.pk]), {"username": "nobody", "role": "viewer"}, follow=True
    )
    assert "no active user named" in response.content.decode()


def test_the_audit_log_is_for_staff_only(client, cast, make_study):
    make_study(name="audited")
    for who in ("owner", "editor", "viewer", "stranger"):
        client.force_login(cast[who])
        assert client.get(reverse("audit-list")).status_code == 404
    client.force_login(cast["staff"])
    page = client.get(reverse("audit-list"), {"action": "create"}).content.decode()
    assert "audited" in page and "owner" in page
    assert client.get(reverse("audit-list"), {"page": "x"}).status_code == 404


def test_the_audit_log_filters_by_a_users_name_and_its_pages_keep_both_filters(client, cast, make_study):
    study = make_study(name="audited")
    for i in range(101):  # over one page of the owner's starts
        audit(cast["owner"], "start", study, f"start {i}")
    audit(cast["editor"], "start", study, "the editor's")
    client.force_login(cast["staff"])
    page = client.get(reverse("audit-list"), {"action": "start"}).content.decode()
    assert '<a href="?action=start&amp;user=editor"' in page  # a user's name narrows to their actions
    page = client.get(reverse("audit-list"), {"action": "start", "user": "owner"}).content.decode()
    assert "the editor&#x27;s" not in page and "· by owner" in page
    assert '<a href="?action=start&amp;user=owner&amp;page=2">older →</a>' in page
    second = client.get(reverse("audit-list"), {"action": "start", "user": "owner", "page": 2})
    assert "start 0" in second.content.decode() and "the editor" not in second.content.decode()


def test_removing_a_member_or_deleting_a_saved_view_asks_first(client, cast, project, make_study):
    study = make_study(name="viewed")
    saved_views.save_view(cast["owner"], project, "best", study.get_absolute_url())
    client.force_login(cast["owner"])
    page = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert page.count('data-confirm="Remove ') == 3  # owner, editor, viewer
    assert 'data-confirm="Delete the saved view best?"' in page
    # a screen reader, jumping from button to button, hears whose row each one acts on
    assert 'aria-label="Remove viewer"' in page and 'aria-label="Change the role of viewer"' in page
    assert 'aria-label="Delete the view best"' in page and 'aria-label="Rename the view best"' in page
