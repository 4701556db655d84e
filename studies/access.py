"""The one place that decides who may see or change what.

Staff see and manage everything; other users see the projects they are members of. Anything else
answers 404, so a stranger cannot even learn that a study exists.
"""

from __future__ import annotations

from django.http import Http404

from studies.models import Membership, Project, Study, Trial

_CAN_EDIT = (Membership.Role.EDITOR, Membership.Role.OWNER)


def visible_projects(user):
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def editable_projects(user):
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user, memberships__role__in=_CAN_EDIT)


def visible_studies(user):
    if user.is_staff:
        return Study.objects.all()
    return Study.objects.filter(project__memberships__user=user)


def role_in(user, project: Project) -> str | None:
    if user.is_staff:
        return Membership.Role.OWNER
    return Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()


def can_edit(user, study: Study) -> bool:
    return role_in(user, study.project) in _CAN_EDIT


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
