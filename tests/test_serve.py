"""`make run` (`manage.py serve`) as a new user meets it: the address and the first admin's password stay
on screen, Ctrl-C leaves no process behind, and a second start keeps the data and says how to log in."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.harness import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Serve:
    """`manage.py serve` in its own process group, as a terminal runs it; its output kept in a file."""

    def __init__(self, data_dir, log_path, addr: str = "") -> None:
        self.addr = addr or f"127.0.0.1:{_free_port()}"
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="hpoweb.settings", HPOWEB_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1"
        )
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--addr", self.addr, "--workers", "1"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while "Ctrl-C stops everything" not in self.output():
            assert self.process.poll() is None and time.monotonic() < deadline, self.output()
            time.sleep(0.5)
        return self.output()

    def ctrl_c(self, timeout: float = 60) -> None:
        """SIGINT to the whole foreground group, as a terminal's Ctrl-C; then nothing of it may remain."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while _group_alive(self.process.pid):
            ps = subprocess.run(["ps", "-eo", "pgid=,pid=,args="], capture_output=True, text=True).stdout
            left = [line for line in ps.splitlines() if line.split()[0] == str(self.process.pid)]
            assert time.monotonic() < deadline, "\n".join([*left, self.output()])
            time.sleep(0.5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def test_the_first_start_prints_the_address_and_password_last_and_ctrl_c_stops_every_process(
    data_dir, tmp_path
):
    serve = Serve(data_dir, tmp_path / "first.log")
    try:
        out = serve.wait_ready()
        ready = out[out.index(f"hpoweb on http://{serve.addr}/") :]
        assert re.search(r"First admin created: user 'admin', password '\S+'", ready)
        with urllib.request.urlopen(f"http://{serve.addr}/healthz/", timeout=10) as response:
            assert response.status == 200
        time.sleep(6)  # a reaper period: its task must not print a line per run
        quiet = serve.output()
        assert "workers.reap" not in quiet and "[tasks]" not in quiet and "GET /healthz/" not in quiet
    finally:
        serve.ctrl_c()

    again = Serve(data_dir, tmp_path / "second.log")
    try:
        out = again.wait_ready()
        assert "First admin created" not in out
        assert "manage.py changepassword admin" in out
    finally:
        again.ctrl_c()


def test_a_taken_address_is_refused_at_once_and_starts_nothing(data_dir, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        serve = Serve(data_dir, tmp_path / "taken.log", addr=f"127.0.0.1:{taken.getsockname()[1]}")
        assert serve.process.wait(timeout=60) == 1
    assert "is taken" in serve.output() and "First admin created" not in serve.output()
    assert not _group_alive(serve.process.pid)
