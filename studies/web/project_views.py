"""Project pages: my projects, a project's studies and members; owners manage members, staff create."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studies import access, projects
from studies.models import Membership
from studies.web.team_forms import MemberForm, ProjectForm, RoleForm


@login_required
def project_list(request):
    form = ProjectForm(request.POST or None) if request.user.is_staff else None
    if request.method == "POST":
        if form is None:
            raise Http404("Only staff create projects.")
        if form.is_valid():
            project = projects.create_project(request.user, **form.cleaned_data)
            messages.success(request, f"Project {project.name} created.")
            return redirect("project-detail", project.pk)
    roles = Membership.objects.filter(project=OuterRef("pk"), user=request.user).values("role")[:1]
    mine = (
        access.visible_projects(request.user)
        .annotate(n_studies=Count("studies", distinct=True), my_role=Subquery(roles))
        .order_by("name")
    )
    return render(request, "teams/project_list.html", {"projects": mine, "form": form})


@login_required
def project_detail(request, project_id):
    project = access.project_for_user(request.user, project_id)
    studies = access.visible_studies(request.user).filter(project=project).with_summary()
    can_manage = access.can_manage(request.user, project)
    role = access.role_in(request.user, project)
    return render(
        request,
        "teams/project_detail.html",
        {
            "project": project,
            "studies": studies.select_related("owner"),
            "members": project.memberships.select_related("user").order_by("user__username"),
            "saved_views": project.saved_views.select_related("created_by"),
            "role": role,
            "can_edit": role in access.EDITOR_ROLES,
            "can_manage": can_manage,
            "member_form": MemberForm() if can_manage else None,
            "roles": RoleForm.base_fields["role"].choices,
        },
    )


@login_required
@require_POST
def member_set(request, project_id):
    """Add a member or change a role (the same form: username and role)."""
    project = access.project_for_user(request.user, project_id, manage=True)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            projects.set_member(request.user, project, **form.cleaned_data)
            messages.success(request, f"{form.cleaned_data['username']} is now {form.cleaned_data['role']}.")
        except projects.MembershipError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, "Give a username and a role.")
    return redirect("project-detail", project.pk)


@login_required
@require_POST
def member_remove(request, project_id, membership_id):
    project = access.project_for_user(request.user, project_id, manage=True)
    try:
        projects.remove_member(request.user, project, membership_id)
        messages.success(request, "Member removed.")
    except projects.MembershipError as error:
        messages.error(request, str(error))
    return redirect("project-detail", project.pk)
