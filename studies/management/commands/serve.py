"""Run hpoweb on one machine: migrate, make a first admin, start a worker (with the reaper) and the web."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from studies.models import Membership, Project


def ensure_first_admin(stdout) -> None:
    """Create `admin` and a default project once; the password is printed this one time."""
    users = get_user_model()
    with transaction.atomic():
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        admin = users.objects.create_superuser("admin", "admin@localhost", password)
        project, _ = Project.objects.get_or_create(name="Default")
        Membership.objects.get_or_create(
            project=project, user=admin, defaults={"role": Membership.Role.OWNER}
        )
    stdout.write(f"\n  First admin created: user 'admin', password '{password}' (shown once; change it).\n\n")


class Command(BaseCommand):
    help = "Migrate, create the first admin, and run the web server with one Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2, help="Worker processes (each runs one trial).")

    def handle(self, addr, workers, **options):
        call_command("migrate", interactive=False, verbosity=0)
        ensure_first_admin(self.stdout)
        celery = [sys.executable, "-m", "celery", "-A", "hpoweb"]
        children = [subprocess.Popen([*celery, "beat", "--loglevel", "WARNING"])]
        children += [
            subprocess.Popen([*celery, "worker", "--loglevel", "INFO", "-n", f"worker{i}@%h"])
            for i in range(1, workers + 1)
        ]
        self.stdout.write(f"hpoweb on http://{addr}/ with {workers} worker(s); Ctrl-C stops everything.")
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                child.wait(timeout=30)
