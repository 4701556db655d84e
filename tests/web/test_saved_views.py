"""Saved views: an editor names the page they are on (a filtered leaderboard, a comparison) and the
project page lists it; only this site's comparison pages can be saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.models import AuditEvent, Project, SavedView
from tests.helpers import run_trials

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(make_study):
    return run_trials(make_study(name="saved", max_trials=2, max_parallel=2), [2.0, 1.0])


def _save(client, project, name, address):
    return client.post(
        reverse("saved-view-create"), {"project": project.pk, "name": name, "address": address}
    )


def test_a_filtered_leaderboard_saved_by_an_editor_is_listed_on_the_project_page(
    client, cast, project, study
):
    client.force_login(cast["editor"])
    address = f"{study.get_absolute_url()}?filter=value+%3C+1.5&sort=number"
    page = client.get(address).content.decode()
    escaped = address.replace("&", "&amp;")
    assert 'action="/views/save/"' in page and f'name="address" value="{escaped}"' in page
    response = _save(client, project, "best trials", address)
    assert response.status_code == 302 and response["Location"] == address
    client.force_login(cast["viewer"])
    listing = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert f'<a href="{escaped}">best trials</a>' in listing


def test_a_comparison_of_trials_and_of_studies_can_be_saved(client, cast, project, study):
    client.force_login(cast["editor"])
    ids = ",".join(str(t.pk) for t in study.trials.all())
    assert _save(client, project, "pair", f"/trials/compare/?ids={ids}").status_code == 302
    assert _save(client, project, "vs", f"/studies/compare/?studies={study.pk}").status_code == 302
    assert list(SavedView.objects.values_list("name", flat=True)) == ["pair", "vs"]


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("https://evil.example/trials/compare/?ids=1", "Save an address on this site"),
        ("//evil.example/", "Save an address on this site"),
        ("javascript:alert(1)", "Save an address on this site"),
        ("/tokens/", "Only a leaderboard or a comparison"),
        ("/nowhere/", "Only a leaderboard or a comparison"),
    ],
)
def test_only_this_sites_comparison_pages_can_be_saved(client, cast, project, address, message):
    client.force_login(cast["editor"])
    response = _save(client, project, "x", address)
    assert response.status_code == 400 and message in response.content.decode()
    assert 'id="address-error"' in response.content.decode() and not SavedView.objects.exists()


def test_a_leaderboard_of_another_projects_study_cannot_be_saved_here(client, cast, project, make_study):
    other = Project.objects.get(name="Elsewhere")
    client.force_login(cast["staff"])
    study = make_study(name="vision-study")
    response = _save(client, other, "x", study.get_absolute_url())
    assert response.status_code == 400 and "outside Elsewhere" in response.content.decode()


def test_a_name_is_unique_in_its_project(client, cast, project, study):
    client.force_login(cast["editor"])
    _save(client, project, "mine", study.get_absolute_url())
    response = _save(client, project, "mine", study.get_absolute_url())
    assert response.status_code == 400 and 'id="name-error"' in response.content.decode()


def test_viewers_and_strangers_cannot_save_into_the_project(client, cast, project, study):
    for role in ("viewer", "stranger"):
        client.force_login(cast[role])
        response = _save(client, project, "nope", study.get_absolute_url())
        assert response.status_code == 400 and 'id="project-error"' in response.content.decode()
    assert not SavedView.objects.exists()
    client.force_login(cast["viewer"])
    assert 'action="/views/save/"' not in client.get(study.get_absolute_url()).content.decode()


@pytest.fixture
def saved(cast, project, study):
    from studies import saved_views

    return saved_views.save_view(cast["editor"], project, "best", f"{study.get_absolute_url()}?sort=number")


def _events(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).values_list("detail", flat=True))


def test_an_editor_renames_a_view_and_the_project_page_lists_the_new_name(client, cast, project, saved):
    client.force_login(cast["editor"])
    page = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert f'action="/views/{saved.pk}/rename/"' in page and f'action="/views/{saved.pk}/delete/"' in page
    response = client.post(reverse("saved-view-rename", args=[saved.pk]), {"name": "  top trials "})
    assert response.status_code == 302 and response["Location"] == reverse(
        "project-detail", args=[project.pk]
    )
    assert SavedView.objects.get(pk=saved.pk).name == "top trials"
    assert _events("rename view") == ["Vision: best -> top trials"]
    page = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert f'<a href="{saved.address}">top trials</a>' in page


@pytest.mark.parametrize(
    ("name", "message"), [("taken", "already has a view named &#x27;taken&#x27;"), ("  ", "required")]
)
def test_a_rename_to_a_taken_or_empty_name_is_refused_at_the_field(
    client, cast, project, saved, name, message
):
    from studies import saved_views

    saved_views.save_view(cast["editor"], project, "taken", "/studies/compare/?studies=1")
    client.force_login(cast["editor"])
    response = client.post(reverse("saved-view-rename", args=[saved.pk]), {"name": name})
    assert response.status_code == 400 and message in response.content.decode()
    assert 'id="name-error"' in response.content.decode()
    assert SavedView.objects.get(pk=saved.pk).name == "best" and not _events("rename view")


def test_an_editor_deletes_a_view_and_the_deletion_is_audited(client, cast, project, saved):
    client.force_login(cast["owner"])
    response = client.post(reverse("saved-view-delete", args=[saved.pk]))
    assert response.status_code == 302 and not SavedView.objects.exists()
    assert _events("delete view") == [f"Vision: best -> {saved.address}"]
    assert ">best</a>" not in client.get(reverse("project-detail", args=[project.pk])).content.decode()


def test_viewers_and_strangers_can_neither_rename_nor_delete_a_view(client, cast, project, saved):
    client.force_login(cast["viewer"])
    page = client.get(reverse("project-detail", args=[project.pk])).content.decode()
    assert "/rename/" not in page and "/delete/" not in page and ">best</a>" in page
    for role in ("viewer", "stranger"):
        client.force_login(cast[role])
        assert client.post(reverse("saved-view-rename", args=[saved.pk]), {"name": "x"}).status_code == 404
        assert client.post(reverse("saved-view-delete", args=[saved.pk])).status_code == 404
    assert client.get(reverse("saved-view-delete", args=[saved.pk])).status_code == 405
    assert SavedView.objects.get(pk=saved.pk).name == "best" and not _events("delete view")


def test_staff_see_saved_views_and_tags_in_the_admin_which_checks_them_like_the_pages(
    client, cast, project, saved, study
):
    study.tags.create(name="week-48")
    client.force_login(cast["staff"])
    assert "best" in client.get("/admin/studies/savedview/").content.decode()
    assert "week-48" in client.get("/admin/studies/studytag/").content.decode()
    off_site = {"project": project.pk, "name": "evil", "address": "javascript:alert(1)"}
    response = client.post("/admin/studies/savedview/add/", off_site)
    assert response.status_code == 200 and "Save an address on this site" in response.content.decode()
    response = client.post("/admin/studies/studytag/add/", {"study": study.pk, "name": "no spaces"})
    assert response.status_code == 200 and "is not a tag" in response.content.decode()
    response = client.post("/admin/studies/studytag/add/", {"study": study.pk, "name": "Baseline"})
    assert response.status_code == 302 and study.tags.filter(name="baseline").exists()
    assert not SavedView.objects.filter(name="evil").exists()
