"""Saving a view for a project's team: only addresses of the comparison pages on this site, and a
leaderboard only of a study in that project (so a saved view can never point off-site)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.urls import Resolver404, resolve

from studies.models import Project, SavedView, Study
from studies.services import audit

SAVABLE = {"study-detail": "a filtered leaderboard", "trial-compare": "trials", "study-compare": "studies"}


def checked_address(address: str, project: Project) -> str:
    """The path and query string of `address` if it is a savable page; ValidationError otherwise."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        raise forms.ValidationError("Save an address on this site, such as /trials/compare/?ids=1,2.")
    try:
        match = resolve(parts.path)
    except Resolver404:
        match = None
    if match is None or match.url_name not in SAVABLE:
        raise forms.ValidationError("Only a leaderboard or a comparison of trials or studies can be saved.")
    if (
        match.url_name == "study-detail"
        and not Study.objects.filter(pk=match.kwargs["study_id"], project=project).exists()
    ):
        raise forms.ValidationError(f"That leaderboard belongs to a study outside {project.name}.")
    return parts.path + (f"?{parts.query}" if parts.query else "")


class SavedViewForm(forms.Form):
    """`projects`: the ones the user may save into (those they edit)."""

    project = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(max_length=80)
    address = forms.CharField(max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects

    def clean(self) -> dict:
        data = super().clean()
        project, name, address = data.get("project"), data.get("name", "").strip(), data.get("address")
        if project is None:
            return data
        if address is not None:
            try:
                data["address"] = checked_address(address, project)
            except forms.ValidationError as error:
                self.add_error("address", error)
        if name_taken(project, name):
            self.add_error("name", f"{project.name} already has a view named {name!r}.")
        data["name"] = name
        return data


def name_taken(project: Project, name: str, but: SavedView | None = None) -> bool:
    """Whether another of the project's views has this name (names are unique per project)."""
    others = SavedView.objects.filter(project=project, name=name)
    return (others.exclude(pk=but.pk) if but else others).exists()


class RenameViewForm(forms.Form):
    name = forms.CharField(max_length=80)

    def __init__(self, *args, view: SavedView, **kwargs):
        super().__init__(*args, **kwargs)
        self.view = view

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        if name_taken(self.view.project, name, but=self.view):
            raise forms.ValidationError(f"{self.view.project.name} already has a view named {name!r}.")
        return name


def save_view(user, project: Project, name: str, address: str) -> SavedView:
    """Store the view (its fields checked by `SavedViewForm`) and record who saved it."""
    view = SavedView.objects.create(project=project, name=name, address=address, created_by=user)
    audit(user, "save view", None, f"{project.name}: {name} -> {address}")
    return view


def rename_view(user, view: SavedView, name: str) -> None:
    """Give the view a new name (checked by `RenameViewForm`), recorded in the audit log."""
    old, view.name = view.name, name
    view.save(update_fields=["name"])
    audit(user, "rename view", None, f"{view.project.name}: {old} -> {name}")


def delete_view(user, view: SavedView) -> None:
    """Remove the view from its project (the pages it points at stay), recorded in the audit log."""
    view.delete()
    audit(user, "delete view", None, f"{view.project.name}: {view.name} -> {view.address}")
