"""Restart the local Redis and PostgreSQL the services session runs against (127.0.0.1 only)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def _wait(check: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while subprocess.run(check, capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{' '.join(check)} still failing after {timeout} s")
        time.sleep(0.2)


def restart_redis_empty() -> None:
    """Stop Redis without saving and start it again: every queued message is gone."""
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True)
    time.sleep(0.5)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
    )
    _wait(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"])


def _cluster() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]


def stop_postgres() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", "stop", "-m", "fast"],
        check=True,
        capture_output=True,
    )


def start_postgres() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", "start"],
        check=True,
        capture_output=True,
    )
    _wait(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"])
