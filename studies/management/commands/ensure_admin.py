"""`manage.py ensure_admin`: the first admin and a Default project, once (the container's start step)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from studies.management.commands.serve import ensure_first_admin


class Command(BaseCommand):
    help = "Create user 'admin' (password printed once) and a Default project if there is no superuser yet."

    def handle(self, **options):
        ensure_first_admin(self.stdout)
