"""A staff-defined program run as a trial's job: no shell, params as arguments, environment and a file.

It speaks to the supervisor like a callable job (`workers.jobproc.JobProcess`): learning-curve points
`{"step": s, "value": v}` and the result `{"value": v}` arrive as JSON lines on stdout, or the
result as a file. Everything it prints is kept in a bounded log; the exit code or signal and the tail
of stderr explain a failure. Its process group is killed on cancel, timeout, prune and, through a
watchdog process, when the worker dies.
"""

from __future__ import annotations

import functools
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from studies.optimizers.parameters import command_variable
from workers.jobproc import JobProcess, die_with_parent

LOG_HEAD_BYTES = 256 * 1024
LOG_TAIL_BYTES = 768 * 1024
STDERR_TAIL_CHARS = 2000
MAX_LINE_BYTES = 1024 * 1024
DRAIN_S = 2.0
# The worker's own environment holds secrets (database URL, broker password): pass only these on.
PASSED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "CUDA_VISIBLE_DEVICES")


class OutputLog:
    """Everything a program printed, bounded: the first `head` bytes and the last `tail` bytes."""

    def __init__(self, head: int = LOG_HEAD_BYTES, tail: int = LOG_TAIL_BYTES) -> None:
        self._head_limit, self._tail_limit = head, tail
        self.head, self.tail = bytearray(), bytearray()
        self.n_bytes = 0
        self.saved_bytes, self.saved_at = 0, float("-inf")  # when `workers.launch` last stored it

    def write(self, chunk: bytes) -> None:
        self.n_bytes += len(chunk)
        room = self._head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self._tail_limit:
            del self.tail[: len(self.tail) - self._tail_limit]

    @property
    def omitted(self) -> int:
        return self.n_bytes - len(self.head) - len(self.tail)

    def text(self) -> str:
        middle = f"\n[... {self.omitted} bytes omitted ...]\n".encode() if self.omitted else b""
        return bytes(self.head + middle + self.tail).decode(errors="replace").replace("\x00", "\ufffd")


def command_argv(template: list[str], params: dict, params_file: str, result_file: str) -> list[str]:
    """The argument list: `{params_args}` as a whole argument becomes one `--name=value` per parameter
    (joined, so a value starting with "-" cannot be read as an option of its own); the file
    placeholders are replaced inside arguments. Nothing is ever parsed by a shell."""
    argv = []
    for arg in template:
        if arg == "{params_args}":
            argv += [f"--{name}={_text(value)}" for name, value in params.items()]
        else:
            argv.append(arg.replace("{params_file}", params_file).replace("{result_file}", result_file))
    return argv


def command_env(extra: dict, params: dict, params_file: str, result_file: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update({str(k): str(v) for k, v in extra.items()})
    env.update({command_variable(name): _text(v) for name, v in params.items()})
    env.update(HPOWEB_PARAMS_FILE=params_file, HPOWEB_RESULT_FILE=result_file, PYTHONUNBUFFERED="1")
    return env


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class CommandProcess(JobProcess):
    """The supervisor's side of a running program; prune means kill (it cannot hear an answer)."""

    def __init__(self, popen: subprocess.Popen, watchdog: subprocess.Popen, workspace: Path) -> None:
        super().__init__(popen.pid, popen.stdout.fileno(), None)
        self._popen, self._watchdog, self._workspace = popen, watchdog, workspace
        self._stdout, self._stderr = popen.stdout.fileno(), popen.stderr.fileno()
        self._open = {self._stdout, self._stderr}
        self.output = OutputLog()
        self._stderr_tail = ""
        self._result: dict | None = None

    @classmethod
    def start(
        cls, template: list[str], params: dict, workdir: str = "", env: dict | None = None
    ) -> CommandProcess:
        """Run a staff-defined program (no shell); it yields the same messages as a callable job."""
        workspace = Path(tempfile.mkdtemp(prefix="hpoweb-job-"))
        params_file, result_file = str(workspace / "params.json"), str(workspace / "result.json")
        Path(params_file).write_text(json.dumps(params))
        try:
            popen = subprocess.Popen(
                command_argv(template, params, params_file, result_file),
                cwd=workdir or workspace,
                env=command_env(env or {}, params, params_file, result_file),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=functools.partial(die_with_parent, os.getpid()),
            )
        except OSError:
            shutil.rmtree(workspace, ignore_errors=True)
            raise
        watchdog = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("watchdog.py")), str(popen.pid)],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )
        return cls(popen, watchdog, workspace)

    def messages(self, timeout: float) -> Iterator[dict]:
        """Reports as they come; the result only once the program has exited with code 0."""
        if self._open:
            ready, _, _ = select.select(list(self._open), [], [], max(timeout, 0.0))
            self._read(ready)
            yield from self._lines()
        else:
            time.sleep(max(timeout, 0.0))
        if self.status is None:
            self._reap(block=False)
            if self.status is not None:  # exited: take what is left in the pipes, then the result
                drain_until = time.monotonic() + DRAIN_S  # a leftover child may hold the pipes open
                while self._open and time.monotonic() < drain_until:
                    if not self._read(select.select(list(self._open), [], [], 0.05)[0]):
                        break
                    yield from self._lines()
                yield from self._lines(final=True)
                result = self._final_result()
                if result is not None:
                    yield result

    def _read(self, ready: list[int]) -> bool:
        got = False
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                self._open.discard(fd)
                continue
            got = True
            self.output.write(chunk)
            if fd == self._stdout:
                self._buffer += chunk
                if len(self._buffer) > MAX_LINE_BYTES:  # no report is that long: keep it in the log only
                    self._buffer = b""
            else:
                self._stderr_tail = (self._stderr_tail + chunk.decode(errors="replace"))[-STDERR_TAIL_CHARS:]
        return got

    def _lines(self, final: bool = False) -> Iterator[dict]:
        *lines, self._buffer = self._buffer.split(b"\n")
        if final:
            lines, self._buffer = [*lines, self._buffer], b""
        for line in lines:
            message = _report(line)
            if message is None:
                continue
            if "step" in message:
                yield message
            else:
                self._result = message

    def _final_result(self) -> dict | None:
        if not (os.WIFEXITED(self.status) and os.WEXITSTATUS(self.status) == 0):
            return None
        if self._result is not None:
            return self._result
        try:
            text = (self._workspace / "result.json").read_text()
        except OSError:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return {"error": f"the result file does not hold JSON: {text[:200]!r}"}
        if isinstance(value, dict) and isinstance(value.get("values"), dict):
            return {"values": value["values"]}
        return {"value": value.get("value") if isinstance(value, dict) else value}

    def _reap(self, block: bool) -> None:
        super()._reap(block)
        if self.status is not None:
            self._popen.returncode = self.status  # collected here; keep Popen from waiting again

    def describe_exit(self) -> str:
        if self.status is None:
            return "still running"
        if os.WIFSIGNALED(self.status):
            what = f"the program was killed by signal {signal.Signals(os.WTERMSIG(self.status)).name}"
        elif os.WEXITSTATUS(self.status):
            what = f"the program exited with code {os.WEXITSTATUS(self.status)}"
        else:
            what = (
                "the program exited with code 0 without a result (print a JSON line "
                '{"value": ...} or write the file named by HPOWEB_RESULT_FILE)'
            )
        tail = self._stderr_tail.strip()
        return f"{what}\n--- stderr (tail) ---\n{tail}" if tail else what

    def close(self) -> None:
        """Release everything; the watchdog, seeing its stdin close, kills any process left in the group."""
        self._messages, self._open = None, set()  # the Popen owns the descriptors and closes them below
        super().close()
        for stream in (self._popen.stdout, self._popen.stderr, self._watchdog.stdin):
            if stream is not None and not stream.closed:
                stream.close()
        try:
            self._watchdog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._watchdog.kill()
        shutil.rmtree(self._workspace, ignore_errors=True)


def _report(line: bytes) -> dict | None:
    """A JSON line with a finite numeric "value" (and an integer "step" for a curve point), or the
    result of a study with objectives, `{"values": {metric: value, ...}}` (checked when stored)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if isinstance(message, dict) and isinstance(message.get("values"), dict) and "step" not in message:
        return {"values": message["values"]}
    if not isinstance(message, dict) or "value" not in message:
        return None
    value, step = message["value"], message.get("step")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if step is None:
        return {"value": value}
    if isinstance(step, bool) or not isinstance(step, int):
        return None
    return {"step": step, "value": value}
