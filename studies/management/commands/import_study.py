"""`manage.py import_study FILE --project NAME`: load a study exported as JSON (from any hpoweb instance)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studies import imports
from studies.models import Project


class Command(BaseCommand):
    help = "Import a study exported as JSON into a project; it arrives paused or finished, never running."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--project", required=True, help="Project name (created if missing).")
        parser.add_argument("--name", default="", help="Study name; default: the exported one.")
        parser.add_argument("--user", default="", help="Owner; default: the first superuser.")

    def handle(self, file, project, name, user, **options):
        users = get_user_model().objects
        owner = users.filter(username=user).first() if user else users.filter(is_superuser=True).first()
        if owner is None:
            raise CommandError(f"no user named {user!r}" if user else "no superuser; pass --user")
        target, _ = Project.objects.get_or_create(name=project)
        try:
            with open(file, "rb") as handle:
                document = imports.read_document(handle.read())
            study = imports.import_study(owner, target, document, name)
        except (OSError, imports.ImportFailed) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"imported study {study.pk} {study.name!r} with {study.trials.count()} trials")
