"""A training job in a child process of its own, talking JSON lines to the worker that supervises it.

The child gets its own process group (so a kill reaches everything the job started) and dies with
its parent (PR_SET_PDEATHSIG), so a killed worker leaves no orphaned job behind. Callable jobs are
forked by the worker's job host (`workers.jobhost`); this module holds both ends of their pipes.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import traceback
from collections.abc import Iterator, Mapping

from studies.jobs import run_job

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a new child of `parent`: be killed when it dies (PR_SET_PDEATHSIG), or exit if it already has."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    if os.getppid() != parent:
        os._exit(1)


class _PipeReporter:
    """The job's side: each report waits for the worker's answer, which says whether to prune."""

    def __init__(self, out, answers) -> None:
        self._out, self._answers, self._prune = out, answers, False

    def report(self, step: int, value: float) -> None:
        self._out.write(json.dumps({"step": int(step), "value": float(value)}) + "\n")
        self._out.flush()
        self._prune = self._answers.readline().strip() == "prune"

    def should_prune(self) -> bool:
        return self._prune


def run_forked(job: str, params: dict, settings: dict, messages: int, answers: int, parent: int) -> None:
    """In a freshly forked child: run the job, write its result, exit; never returns to the caller."""
    try:
        os.setpgid(0, 0)
        die_with_parent(parent)
        with os.fdopen(messages, "w") as out, os.fdopen(answers, "r") as answers_in:
            try:
                value = run_job(job, params, settings, _PipeReporter(out, answers_in))
                message = _result_message(value)
            except BaseException:
                message = {"error": traceback.format_exc()}
            out.write(json.dumps(message) + "\n")
    finally:
        os._exit(0)


def _result_message(value) -> dict:
    """A job returns its metric, or a mapping of every metric by name (a study with objectives)."""
    if value is None:
        return {"stopped": True}
    return {"values": dict(value)} if isinstance(value, Mapping) else {"value": value}


class JobProcess:
    """The worker's side of one running job: its messages, its exit status, and the kill switch."""

    output = None  # what a command job printed (`workers.commandproc.OutputLog`); callables keep none

    def __init__(self, pid: int, messages: int, answers: int | None) -> None:
        self.pid, self._messages, self._answers = pid, messages, answers
        self.takes_answers = answers is not None
        self._buffer = b""
        self.status: int | None = None

    def messages(self, timeout: float) -> Iterator[dict]:
        """Messages that arrive within `timeout` seconds; sets `status` once the job has exited."""
        ready, _, _ = select.select([self._messages], [], [], max(timeout, 0.0))
        if ready:
            chunk = os.read(self._messages, 65536)
            if not chunk:
                self._reap(block=True)
            self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    yield {"log": line.decode(errors="replace")}

    def answer(self, prune: bool) -> None:
        if self._answers is not None:
            try:
                os.write(self._answers, b"prune\n" if prune else b"go\n")
            except BrokenPipeError:
                pass

    def _reap(self, block: bool) -> None:
        if self.status is None:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self.status = status

    def describe_exit(self) -> str:
        if self.status is None:
            return "still running"
        if os.WIFSIGNALED(self.status):
            return f"job process killed by signal {signal.Signals(os.WTERMSIG(self.status)).name}"
        return f"job process exited with code {os.WEXITSTATUS(self.status)}"

    def kill(self) -> None:
        """Kill the job's whole process group and collect it."""
        for target in (
            lambda: os.killpg(self.pid, signal.SIGKILL),
            lambda: os.kill(self.pid, signal.SIGKILL),
        ):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
        self._reap(block=True)
        self.close()

    def close(self) -> None:
        for fd in (self._messages, self._answers):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._messages = self._answers = None
