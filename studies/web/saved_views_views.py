"""Saving the page one is on (a filtered leaderboard, a comparison) as a named view of a project;
renaming and deleting saved views (editors of the project)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studies import access, saved_views


@login_required
@require_POST
def saved_view_create(request):
    """Editors save into their projects; a bad name or address is shown with the error at its field."""
    projects = access.editable_projects(request.user)
    form = saved_views.SavedViewForm(request.POST, projects=projects)
    if not form.is_valid():
        return render(request, "teams/saved_view_form.html", {"form": form}, status=400)
    view = saved_views.save_view(request.user, **form.cleaned_data)
    messages.success(request, f"Saved as {view.name} in {view.project.name}.")
    return redirect(view.address)


@login_required
@require_POST
def saved_view_rename(request, view_id):
    view = access.saved_view_to_edit(request.user, view_id)
    form = saved_views.RenameViewForm(request.POST, view=view)
    if not form.is_valid():
        return render(request, "teams/saved_view_rename.html", {"form": form, "view": view}, status=400)
    saved_views.rename_view(request.user, view, form.cleaned_data["name"])
    messages.success(request, f"Renamed to {view.name}.")
    return redirect("project-detail", view.project_id)


@login_required
@require_POST
def saved_view_delete(request, view_id):
    view = access.saved_view_to_edit(request.user, view_id)
    saved_views.delete_view(request.user, view)
    messages.success(request, f"Deleted the view {view.name}.")
    return redirect("project-detail", view.project_id)
