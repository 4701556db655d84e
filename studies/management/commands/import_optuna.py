"""`manage.py import_optuna --storage URL --study NAME --project P`: an Optuna study as an hpoweb study."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studies import optuna_import
from studies.imports import ImportFailed
from studies.models import Project


class Command(BaseCommand):
    help = (
        "Import a study from an Optuna storage: an RDB URL (sqlite:///optuna.db, postgresql://...) or the "
        "path of an SQLite or journal file. Trials, curves and attributes come along; it never runs alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--storage", required=True, help="Optuna storage URL or file.")
        parser.add_argument("--study", default="", help="Optuna study name; default: the storage's only one.")
        parser.add_argument("--project", required=True, help="Project name (created if missing).")
        parser.add_argument("--name", default="", help="hpoweb study name; default: the Optuna one.")
        parser.add_argument("--user", default="", help="Owner; default: the first superuser.")

    def handle(self, storage, study, project, name, user, **options):
        users = get_user_model().objects
        owner = users.filter(username=user).first() if user else users.filter(is_superuser=True).first()
        if owner is None:
            raise CommandError(f"no user named {user!r}" if user else "no superuser; pass --user")
        target, _ = Project.objects.get_or_create(name=project)
        try:
            imported = optuna_import.import_optuna(owner, target, storage, study, name)
        except ImportFailed as error:
            raise CommandError(_described(error)) from None
        self.stdout.write(
            f"imported study {imported.pk} {imported.name!r} with {imported.trials.count()} trials "
            f"({imported.state_reason})"
        )


def _described(error: ImportFailed) -> str:
    return "; ".join(
        f"{path}: {m}" if path != "document" else m for path, ms in error.errors.items() for m in ms
    )
