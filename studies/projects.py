"""Projects and their members: the workflows behind the project pages (who may call them: `access`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from studies.models import Membership, Project
from studies.services import audit


class MembershipError(ValueError):
    """A change that would break the project (e.g. leave it without an owner); the message is for a person."""


@transaction.atomic
def create_project(creator, name: str, description: str = "") -> Project:
    """A new project with its creator as first owner."""
    project = Project.objects.create(name=name, description=description)
    Membership.objects.create(project=project, user=creator, role=Membership.Role.OWNER)
    audit(creator, "project-create", detail=f"project {name}")
    return project


@transaction.atomic
def set_member(actor, project: Project, username: str, role: str) -> Membership:
    """Add `username` to the project with `role`, or change their role."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise MembershipError(f"There is no active user named {username!r}.")
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is not None and membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
        _keep_an_owner(project, membership)
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    audit(actor, "member-set", detail=f"project {project.name}: {username} is {role}")
    return membership


@transaction.atomic
def remove_member(actor, project: Project, membership_id: int) -> None:
    membership = Membership.objects.select_for_update().filter(project=project, pk=membership_id).first()
    if membership is None:
        raise MembershipError("No such member.")
    if membership.role == Membership.Role.OWNER:
        _keep_an_owner(project, membership)
    membership.delete()
    audit(actor, "member-remove", detail=f"project {project.name}: {membership.user.username} removed")


def _keep_an_owner(project: Project, leaving: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(project=project, role=Membership.Role.OWNER)
    if not owners.exclude(pk=leaving.pk).exists():
        raise MembershipError("A project needs at least one owner; make someone else owner first.")
