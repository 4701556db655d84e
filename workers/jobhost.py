"""The job host: a small pre-started process that forks the worker's callable jobs.

Forking the worker itself (Django, Celery, numpy, scipy: a large address space) cost about 12 ms of
CPU per trial in copied page tables, copy-on-write faults and teardown. The host is a fresh
interpreter holding only the job registry, so its forks are cheap; it starts with the worker's first
callable job and serves every later one.

The worker creates each job's two pipes and passes them to the host (SCM_RIGHTS) with the job's
name, params and settings; the host forks the job (`workers.jobproc.run_forked`) and reports its pid,
then its exit status once it has reaped it. The worker reads the job's messages, answers its reports
and kills its process group directly, as if it had forked the job itself.

Lifetimes: the host exits when the worker closes its end of the socket, and dies with the thread
that started it (PR_SET_PDEATHSIG); a job dies with the host (PR_SET_PDEATHSIG) and leads its own
process group. A killed worker therefore still leaves no job behind, and a host that dies mid-job
takes the job with it: the attempt fails with that reason and the next job starts a new host.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading

from workers.jobproc import JobProcess, die_with_parent, run_forked

HOST_LOST = -1  # a job's status when its host died before reporting it
_ANSWER_S = 60.0  # the host imports numpy before its first answer; a busy machine can take seconds
_BOOT = "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); import workers.jobhost as h; h.serve()"
_local = threading.local()


class HostedJob(JobProcess):
    """A callable job forked by the host: the host reaps it and reports its exit status."""

    def __init__(self, host: JobHost, pid: int, messages: int, answers: int) -> None:
        super().__init__(pid, messages, answers)
        self._host = host

    def _reap(self, block: bool) -> None:
        if self.status is None:
            self.status = self._host.exit_status(self.pid, block)

    def describe_exit(self) -> str:
        if self.status == HOST_LOST:
            return "the job host process died, and the job with it"
        return super().describe_exit()


class JobHost:
    """The worker's side of one host process: one per worker thread that runs trials."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, json.dumps(sys.path), str(theirs.fileno()), str(os.getpid())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        self._socket = ours
        self._exits: dict[int, int] = {}
        self.owner = os.getpid()

    def start(self, job: str, params: dict, settings: dict) -> HostedJob:
        """Fork the job in the host; OSError when the host is gone or does not answer."""
        msg_r, msg_w = os.pipe()
        ans_r, ans_w = os.pipe()
        request = json.dumps({"job": job, "params": params, "settings": settings}).encode()
        try:
            socket.send_fds(self._socket, [request], [msg_w, ans_r])
            reply = self._receive(_ANSWER_S)
            while reply is not None and "status" in reply:  # a late report of an earlier job
                reply = self._receive(_ANSWER_S)
        except OSError:
            os.close(msg_r)
            os.close(ans_w)
            raise
        finally:
            os.close(msg_w)
            os.close(ans_r)
        if reply is None or "pid" not in reply:
            os.close(msg_r)
            os.close(ans_w)
            raise OSError(f"the job host could not fork the job: {(reply or {}).get('error', 'no answer')}")
        return HostedJob(self, reply["pid"], msg_r, ans_w)

    def exit_status(self, pid: int, block: bool) -> int | None:
        """The job's wait status once the host has reaped it; HOST_LOST if the host is gone."""
        while pid not in self._exits:
            try:
                if self._receive(None if block else 0.0) is None and not block:
                    return None
            except OSError:
                return HOST_LOST
        return self._exits.pop(pid)

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def close(self) -> None:
        """The host sees the socket close, kills what it still runs and exits."""
        self._socket.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _receive(self, timeout: float | None) -> dict | None:
        """One message from the host (None after `timeout` seconds); exit reports are kept by pid."""
        if not select.select([self._socket], [], [], timeout)[0]:
            return None
        data = self._socket.recv(65536)
        if not data:
            raise OSError("the job host process is gone")
        message = json.loads(data)
        if "status" in message:
            self._exits[message["pid"]] = message["status"]
        return message


def start_callable(job: str, params: dict, settings: dict) -> HostedJob:
    """Start a registered callable job through this thread's host, starting a new host if needed."""
    host = getattr(_local, "host", None)
    if host is None or not host.alive():
        _local.host = host = JobHost()
    try:
        return host.start(job, params, settings)
    except OSError:
        _local.host = None  # the next job gets a fresh host; this one is told to go
        host.close()
        raise


# --- the host process ---------------------------------------------------------------------------------


def serve() -> None:
    """The host's loop (`_BOOT`): fork each requested job, report pids and exit statuses, exit at EOF."""
    from studies.jobs import registry

    channel = socket.socket(fileno=int(sys.argv[2]))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # a terminal's Ctrl-C is for the worker, which then closes us
    die_with_parent(int(sys.argv[3]))
    registry()  # built once here: every forked job finds it ready
    if "numpy" in sys.modules:
        import numpy.random  # noqa: F401  (numpy 2 loads it lazily: 13 ms in every job that draws a number)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    running: set[int] = set()
    while True:
        ready = select.select([channel, wake_r], [], [])[0]
        if wake_r in ready:
            os.read(wake_r, 4096)
            _report_exits(channel, running)
        if channel in ready:
            data, fds, _flags, _address = socket.recv_fds(channel, 1 << 20, 2)
            if not data:
                break
            try:
                pid = _fork_job(json.loads(data), fds, channel, (wake_r, wake_w))
            except OSError as error:
                for fd in fds:
                    os.close(fd)
                channel.send(json.dumps({"error": str(error)}).encode())
                continue
            running.add(pid)
            channel.send(json.dumps({"pid": pid}).encode())
    for pid in running:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    os._exit(0)


def _fork_job(request: dict, fds: list[int], channel: socket.socket, wake: tuple[int, int]) -> int:
    messages, answers = fds
    host = os.getpid()
    pid = os.fork()
    if pid == 0:
        channel.close()
        signal.set_wakeup_fd(-1)
        for fd in wake:
            os.close(fd)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        run_forked(request["job"], request["params"], request["settings"], messages, answers, host)
    os.close(messages)
    os.close(answers)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first, a kill finds the group
    except OSError:
        pass
    return pid


def _report_exits(channel: socket.socket, running: set[int]) -> None:
    while running:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        running.discard(pid)
        try:
            channel.send(json.dumps({"pid": pid, "status": status}).encode())
        except OSError:
            return
