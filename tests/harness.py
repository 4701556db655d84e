"""Real `celery worker` processes for end-to-end tests, pointed at the test database and broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def worker_env(**extra: str) -> dict[str, str]:
    """The environment a worker needs to share this test's database and broker."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="hpoweb.settings",
        HPOWEB_DATA_DIR=str(settings.DATA_DIR),
        DATABASE_URL=url,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class CeleryProcess:
    """A `celery -A hpoweb ...` process in its own session, its output kept in a log file."""

    def __init__(self, name: str, log_dir: Path, command: list[str], **env: str) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hpoweb", *command],
            cwd=ROOT,
            env=worker_env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Worker(CeleryProcess):
    """One `celery -A hpoweb worker` process (solo pool: one trial at a time)."""

    def __init__(
        self, name: str, log_dir: Path, queues: str = "hpoweb", beat: bool = False, **env: str
    ) -> None:
        command = [
            "worker",
            "-n",
            f"{name}@%h",
            "-Q",
            queues,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
        if beat:
            command += ["-B", "-s", str(log_dir / f"{name}-beat-schedule")]
        super().__init__(name, log_dir, command, **env)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2, workers: list[CeleryProcess] = ()):
    """Poll `predicate` until it returns a truthy value; fail with the workers' logs if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    logs = "\n".join(f"--- {w.name} ---\n{w.log()[-3000:]}" for w in workers)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")


def process_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_gone(pid: int) -> bool:
    """Exited, or a zombie waiting for its parent to collect it: either way it runs nothing."""
    stat = process_stat(pid)
    return stat is None or stat[0] == "Z"


def wait_gone(*pids: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(process_gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still alive: {[p for p in pids if not process_gone(p)]}"
        time.sleep(0.05)
