"""The job host forks a worker's callable jobs; neither it nor its jobs outlive what they serve.

Real processes throughout: the host is killed, the worker that owns it is killed, jobs are killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from studies.jobs.builtins import branin
from tests.harness import ROOT, process_stat, wait_gone
from workers import jobhost
from workers.jobhost import HOST_LOST, JobHost

POINT = {"x1": 1.0, "x2": 2.0}
LONG = {"duration_s": 60.0}


@pytest.fixture
def host():
    host = JobHost()
    yield host
    host.close()


def _parent(pid: int) -> int:
    return int(process_stat(pid)[1])


def _follow(proc, timeout: float = 30.0) -> list[dict]:
    """Every message until the job has exited, answering each report with go."""
    deadline, messages = time.monotonic() + timeout, []
    while proc.status is None:
        assert time.monotonic() < deadline, "the job did not end"
        for message in proc.messages(0.5):
            messages.append(message)
            if "step" in message:
                proc.answer(False)
    proc.close()
    return messages


def test_a_hosted_job_reports_its_curve_and_result_and_exits_cleanly(host):
    proc = host.start("branin", POINT, {"steps": 3})
    messages = _follow(proc)
    assert [m["step"] for m in messages[:-1]] == [1, 2, 3]
    assert messages[-1] == {"value": pytest.approx(branin(POINT))}
    assert os.WIFEXITED(proc.status) and os.WEXITSTATUS(proc.status) == 0
    assert _parent(host.process.pid) == os.getpid()


def test_a_killed_job_ends_with_its_whole_process_group_and_the_signal_is_named(host):
    proc = host.start("branin", POINT, LONG)
    deadline = time.monotonic() + 10
    while os.getpgid(proc.pid) != proc.pid:  # the job leads its own group, so a kill reaches its children
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()
    assert proc.describe_exit() == "job process killed by signal SIGKILL"
    wait_gone(proc.pid)
    assert _follow(host.start("branin", POINT, {})) == [{"value": pytest.approx(branin(POINT))}]


def test_a_host_that_dies_takes_its_job_along_and_the_next_job_gets_a_new_host():
    proc = jobhost.start_callable("branin", POINT, LONG)
    dead_host = _parent(proc.pid)
    os.kill(dead_host, signal.SIGKILL)
    assert _follow(proc, timeout=10) == []
    assert proc.status == HOST_LOST
    assert proc.describe_exit() == "the job host process died, and the job with it"
    wait_gone(proc.pid)

    proc = jobhost.start_callable("branin", POINT, LONG)
    assert _parent(proc.pid) != dead_host
    proc.kill()
    assert _follow(jobhost.start_callable("branin", POINT, {})) == [{"value": pytest.approx(branin(POINT))}]


def test_a_host_that_is_closed_kills_the_job_it_runs(host):
    proc = host.start("branin", POINT, LONG)
    host.close()
    wait_gone(proc.pid, host.process.pid)


def test_a_worker_killed_with_sigkill_leaves_neither_its_host_nor_its_job():
    script = (
        "import sys, time\n"
        "from workers import jobhost\n"
        f"proc = jobhost.start_callable('branin', {POINT!r}, {LONG!r})\n"
        "with open(f'/proc/{proc.pid}/stat') as f:\n"
        "    print(proc.pid, f.read().rsplit(')', 1)[1].split()[1], flush=True)\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        job, host = (int(pid) for pid in worker.stdout.readline().split())
        worker.kill()
        worker.wait(timeout=10)
        wait_gone(host, job)
    finally:
        worker.kill()
        worker.stdout.close()


def test_the_host_holds_the_job_registry_but_no_optimizer(host):
    """Every job is a fork of the host, whose size each fork pays in page tables and copy-on-write
    faults: the job registry (the settings schema of `studies.optimizers.settings`) must not pull in
    every optimizer and scipy, which made each trial's fork and exit cost twice the CPU."""
    _follow(host.start("branin", POINT, {"steps": 1}))  # the host is up and has built its registry
    with open(f"/proc/{host.process.pid}/maps") as maps:
        loaded = maps.read()
    assert "/numpy/" in loaded  # the builtin jobs' numpy, imported before the first fork
    assert "/scipy/" not in loaded
