"""Run hpoweb on one machine: migrate, make a first admin, start workers (with the reaper) and the web."""

from __future__ import annotations

import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from studies.models import Membership, Project


def create_first_admin() -> str | None:
    """Create `admin` and a default project if there is no superuser yet; return the new password."""
    users = get_user_model()
    with transaction.atomic():
        if users.objects.filter(is_superuser=True).exists():
            return None
        password = secrets.token_urlsafe(12)
        admin = users.objects.create_superuser("admin", "admin@localhost", password)
        project, _ = Project.objects.get_or_create(name="Default")
        Membership.objects.get_or_create(
            project=project, user=admin, defaults={"role": Membership.Role.OWNER}
        )
    return password


def admin_line(password: str | None) -> str:
    """How to log in: the new admin's password this one time, else how to reset a forgotten one."""
    if password:
        return f"First admin created: user 'admin', password '{password}' (shown once; change it)."
    return "Log in as 'admin'; forgot its password? `.venv/bin/python manage.py changepassword admin`."


def ensure_first_admin(stdout) -> None:
    """Create the first admin once and print its password this one time."""
    password = create_first_admin()
    if password:
        stdout.write(f"\n  {admin_line(password)}\n\n")


def ready_message(addr: str, workers: int, password: str | None) -> str:
    """Printed once the web answers, below the children's start-up lines, so it stays on screen."""
    return (
        f"\n  hpoweb on http://{addr}/ with {workers} worker(s).\n  {admin_line(password)}\n"
        "  Only warnings and errors are logged here; the dashboard shows the trials.\n"
        "  Ctrl-C stops everything.\n"
    )


def _host_port(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def check_free(addr: str) -> None:
    """Refuse a taken address before anything starts (gunicorn would retry, then leave the workers)."""
    host, port = _host_port(addr)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"{addr} is taken ({error.strerror}); choose another: make run ADDR=..."
            ) from None


def _wait_for_web(addr: str, web: subprocess.Popen, timeout: float = 60.0) -> bool:
    """Whether gunicorn accepts connections on addr within timeout (False once it has exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None:
        try:
            socket.create_connection(_host_port(addr), timeout=1).close()
            return web.poll() is None
        except OSError:
            time.sleep(0.5)
    return False


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Migrate, create the first admin, and run gunicorn with Celery workers and beat (the reaper)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2, help="Worker processes (each runs one trial).")

    def handle(self, addr, workers, **options):
        check_free(addr)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = create_first_admin()
        # Quiet (no banners, no line per task or request) so the password and the address stay on screen.
        celery = [sys.executable, "-m", "celery", "--quiet", "-A", "hpoweb"]
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
                # below the 30 s serve waits for each child, so gunicorn kills a stuck worker itself
                "--graceful-timeout",
                "10",
            ],
            [*celery, "beat", "--loglevel", "WARNING"],
            *(
                [*celery, "worker", "--loglevel", "WARNING", "-n", f"worker{i}@%h"]
                for i in range(1, workers + 1)
            ),
        ]
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        children = [subprocess.Popen(command) for command in commands]
        try:  # until Ctrl-C, SIGTERM, or one of the processes ends
            ready = _wait_for_web(addr, children[0])
            self.stdout.write(ready_message(addr, workers, password) if ready else admin_line(password))
            while all(child.poll() is None for child in children):
                time.sleep(1.0)
            ended = next(child for child in children if child.poll() is not None)
            failure = f"`{shlex.join(ended.args)}` exited ({ended.returncode}); everything stopped."
        except KeyboardInterrupt:
            failure = None
            self.stdout.write("Stopping: running trials get a few seconds to finish, then are re-queued.")
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
        if failure:
            raise CommandError(failure)
