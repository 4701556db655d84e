"""The one place that decides who may see or change what.

Staff see and manage everything; other users see the projects they are members of. Anything else
answers 404, so a stranger cannot even learn that a study exists.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.http import Http404

from studies.models import ApiToken, AuditEvent, Membership, Project, SavedView, Study, Trial

EDITOR_ROLES = (Membership.Role.EDITOR, Membership.Role.OWNER)


def visible_projects(user):
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def editable_projects(user):
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user, memberships__role__in=EDITOR_ROLES)


def visible_studies(user):
    if user.is_staff:
        return Study.objects.all()
    return Study.objects.filter(project__memberships__user=user)


def _member_role(user, **project):
    """`user`'s role in the project that `project` picks (lookups on `Membership.project`), as their
    membership says: the rule for everyone but staff, stated once."""
    return Membership.objects.filter(user=user, **project).values_list("role", flat=True)


def role_in(user, project: Project) -> str | None:
    if user.is_staff:
        return Membership.Role.OWNER
    return _member_role(user, project=project).first()


def can_edit(user, study: Study) -> bool:
    return role_in(user, study.project) in EDITOR_ROLES


def role_in_study(user, study_id) -> str:
    """`user`'s role in the study's project in one query (staff: owner), for an answer that needs
    no more of the study (a shared poll); Http404 if they may not see it. Its SQL is compiled once
    per process: every viewer's poll asks it, and building it through the ORM each time was a
    quarter of a cached poll's Python time (docs/benchmarks.md, "Many viewers")."""
    if user.is_staff:
        role = Membership.Role.OWNER if Study.objects.filter(pk=study_id).exists() else None
    else:
        sql, names = _role_in_study_sql()
        values = {"user": user.pk, "study": study_id}
        with connection.cursor() as cursor:
            cursor.execute(sql, [values[name] for name in names])
            row = cursor.fetchone()
        role = row and row[0]
    if role is None:
        raise Http404("No such study.")
    return role


@cache
def _role_in_study_sql() -> tuple[str, list[str]]:
    """`_member_role` in a study as SQL, and which of its parameters are the user and the study
    (compiled with -1 and -2 in their places)."""
    sql, params = _member_role(-1, project__studies=-2)[:1].query.sql_with_params()
    return sql, [{-1: "user", -2: "study"}[param] for param in params]


def study_for_user(user, study_id, *, edit: bool = False) -> Study:
    """The study if `user` may see it (and change it, with edit=True); Http404 otherwise."""
    study = visible_studies(user).select_related("project", "owner", "space").filter(pk=study_id).first()
    if study is None or (edit and not can_edit(user, study)):
        raise Http404("No such study.")
    return study


def trial_for_user(user, study_id, number, *, edit: bool = False) -> Trial:
    study = study_for_user(user, study_id, edit=edit)
    trial = study.trials.filter(number=number).first()
    if trial is None:
        raise Http404("No such trial.")
    return trial


def trial_by_id_for_user(user, trial_id, *, edit: bool = False) -> Trial:
    """A trial by its id (API routes under /api/trials/), with the same rules as its study."""
    study_id = Trial.objects.filter(pk=trial_id).values_list("study_id", flat=True).first()
    if study_id is None:
        raise Http404("No such trial.")
    return study_for_user(user, study_id, edit=edit).trials.select_related("study").get(pk=trial_id)


def trials_for_user(user, trial_ids: list[int]) -> list[Trial]:
    """Trials by id, in the order asked, with their studies; Http404 if `user` may not read any one
    of them (a page of several trials is all or nothing, so it reveals nothing about the others)."""
    found = Trial.objects.filter(pk__in=trial_ids, study__in=visible_studies(user))
    by_id = {trial.pk: trial for trial in found.select_related("study__project")}
    if len(by_id) != len(set(trial_ids)):
        raise Http404("No such trial.")
    return [by_id[trial_id] for trial_id in trial_ids]


def can_manage(user, project: Project) -> bool:
    """Owners (and staff) manage a project's members."""
    return role_in(user, project) == Membership.Role.OWNER


def project_for_user(user, project_id, *, manage: bool = False) -> Project:
    """The project if `user` belongs to it (and owns it, with manage=True); Http404 otherwise."""
    project = visible_projects(user).filter(pk=project_id).first()
    if project is None or (manage and not can_manage(user, project)):
        raise Http404("No such project.")
    return project


def saved_view_to_edit(user, view_id) -> SavedView:
    """A saved view that `user` may rename or delete (an editor of its project); Http404 otherwise."""
    view = SavedView.objects.select_related("project").filter(pk=view_id).first()
    if view is None or role_in(user, view.project) not in EDITOR_ROLES:
        raise Http404("No such view.")
    return view


def audit_events(user):
    """The audit log is for staff; anyone else is told it does not exist."""
    if not user.is_staff:
        raise Http404("No such page.")
    return AuditEvent.objects.select_related("user", "study")


def tokens_of(user):
    """A user's own API tokens; nobody sees another person's, staff included (they use the admin)."""
    return ApiToken.objects.filter(user=user)
