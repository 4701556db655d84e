"""Run hpoweb on one machine: migrate, make a first admin, start workers (with the reaper) and the web."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time

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


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Migrate, create the first admin, and run gunicorn with Celery workers and beat (the reaper)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2, help="Worker processes (each runs one trial).")

    def handle(self, addr, workers, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        ensure_first_admin(self.stdout)
        celery = [sys.executable, "-m", "celery", "-A", "hpoweb"]
        commands = [
            [
                sys.executable,
                "-m",
                "gunicorn",
                "hpoweb.wsgi",
                "--bind",
                addr,
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            [*celery, "beat", "--loglevel", "WARNING"],
            *(
                [*celery, "worker", "--loglevel", "INFO", "-n", f"worker{i}@%h"]
                for i in range(1, workers + 1)
            ),
        ]
        children = [subprocess.Popen(command) for command in commands]
        self.stdout.write(f"hpoweb on http://{addr}/ with {workers} worker(s); Ctrl-C stops everything.")
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:  # until Ctrl-C, SIGTERM, or one of the processes ends
            while all(child.poll() is None for child in children):
                time.sleep(1.0)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
