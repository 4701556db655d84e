"""Viewers' load test: people watching a large running study while workers write to it.

A demo study of `--size` trials (built once and kept, as benchmarks/scale.py builds them: a SQLite
file in `--data-dir`, or a PostgreSQL database with `--postgres`) is reopened as running with
`max_parallel` = `--workers`. Simulated workers (`--workers` threads over `--processes` processes,
each looping as a worker does: sleep `--trial-s` as the job, then `finish_and_continue`, which stores
the result and schedules and claims the next trial) run for `--seconds`, twice: alone, then while
`--viewers` viewers (threads of this process) refresh the study page's live parts over HTTP on
loopback (gunicorn serving hpoweb, `--web-workers` processes of 8 threads), as a read-only member
of the study's project, as the page does: each of its htmx polls (`hx-trigger="every Ns"`) and the
plot in view when it opens (the history plot, on its `data-refresh` period), read from the page
itself; or each of them every `--interval` seconds.

Bounded in count and time, loopback only. Prints the workers' trials/s with and without viewers
(and against the ideal, workers / trial time) and each refresh request's latency percentiles.

    nice -n 19 .venv/bin/python benchmarks/viewers.py --size 100000 --data-dir /tmp/scale \\
        --workers 32 --viewers 50 --seconds 60
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import scale
from scratch_django import ROOT, setup_scratch_django

PORT = 8765


def reopen(study, workers: int) -> None:
    """The study runs again with room for every worker and a budget it will not reach."""
    from studies.models import Study, StudySummary

    total = StudySummary.objects.get(study=study).n_trials
    Study.objects.filter(pk=study.pk).update(max_trials=total + 1_000_000, max_parallel=workers)
    study.set_state(Study.State.RUNNING)


def close(study) -> None:
    """Queued and running trials cancelled, the study completed, so the next run starts alike."""
    from studies.models import Study, StudySummary, Trial

    with_states = study.trials.filter(state__in=Trial.QUEUED_OR_RUNNING)
    with_states.update(state=Trial.State.CANCELLED)
    StudySummary.recount(study)
    study.set_state(Study.State.COMPLETED, "viewers benchmark")


def run_workers(args, study_id: int, threads: int, start_at: float) -> int:
    """The role of one worker process: `threads` simulated workers from `start_at` for `--seconds`;
    returns the trials they finished."""
    from studies import services
    from studies.models import Trial
    from studies.services import Outcome, WorkerIdentity

    done = [0]
    end_at = start_at + args.seconds

    def claim_any(worker):
        services.schedule_trials(study_id)
        queued = Trial.objects.filter(study_id=study_id, state="queued").order_by("number")
        for trial_id in queued.values_list("pk", flat=True)[: args.workers]:
            attempt = services.claim_trial(trial_id, worker)
            if attempt is not None:
                return attempt
        return None

    def loop(k: int) -> None:
        from django.db import connection

        worker = WorkerIdentity.current(f"sim{os.getpid()}-{k}")
        time.sleep(max(0.0, start_at - time.time()))
        attempt = None
        while time.time() < end_at:
            attempt = attempt or claim_any(worker)
            if attempt is None:
                time.sleep(0.05)
                continue
            time.sleep(args.trial_s)
            value = (hash((worker.name, attempt.pk)) % 10_000) / 10_000
            attempt = services.finish_and_continue(attempt.pk, Outcome("complete", value=value), worker)
            done[0] += 1
        connection.close()

    pool = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return done[0]


def start_workers(args, study_id: int, start_at: float) -> list[subprocess.Popen]:
    per = [
        args.workers // args.processes + (k < args.workers % args.processes) for k in range(args.processes)
    ]
    command = [sys.executable, __file__, *sys.argv[1:], "--role-workers", str(study_id), str(start_at)]
    return [subprocess.Popen([*command, str(n)], stdout=subprocess.PIPE, text=True) for n in per]


def finished_by(processes: list[subprocess.Popen]) -> int:
    return sum(json.loads(p.communicate()[0].strip().splitlines()[-1])["done"] for p in processes)


def view(polls: list[tuple[str, float]], cookie: str, end_at: float, latencies: dict) -> None:
    """One viewer: each (address, period) of `polls` every period s, as the page's polls fetch them.
    Its first request of each address (the page opening) is kept under (url, "opening"), the
    refreshes under url."""
    due = {url: time.time() for url, _ in polls}
    opened = set()
    while True:
        url, period = min(polls, key=lambda poll: due[poll[0]])
        time.sleep(max(0.0, due[url] - time.time()))
        if time.time() >= end_at:
            return
        due[url] += period
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}{url}", headers={"Cookie": cookie})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            assert response.status == 200, url
        kind = url if url in opened else (url, "opening")
        opened.add(url)
        latencies.setdefault(kind, []).append((time.perf_counter() - start) * 1000)


def page_polls(client, study, interval: float | None) -> list[tuple[str, float]]:
    """(address, period s) of what the running study's page refreshes: its htmx polls, and the plot in
    view when it opens (the history plot; the others refresh only while scrolled to); each every
    `interval` s if given."""
    page = client.get(study.get_absolute_url()).content.decode()
    polls = [
        (html.unescape(url), float(every))
        for url, every in re.findall(r'hx-get="([^"]+)" hx-trigger="every (\d+)s"', page)
    ]
    plot = re.search(r'id="history-plot"[^>]* data-src="([^"]+)"[^>]* data-refresh="(\d+)"', page)
    polls.append((html.unescape(plot[1]), float(plot[2])))
    return [(url, interval or every) for url, every in polls]


def serve(args, env: dict) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "hpoweb.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(args.web_workers)]
    server = subprocess.Popen([*command, "--threads", "8", "-k", "gthread"], cwd=ROOT, env=env)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz/", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process `pid` and its children that are alive."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(
        cpu_seconds(int(child)) for child in children
    )


def cache_writes(args) -> int:
    """SET commands Redis has answered (with --postgres): a poll answer kept, or a try to take the
    lock to render a stale one again (SET NX)."""
    if not args.postgres:
        return 0
    import redis

    return redis.Redis.from_url(args.redis).info("commandstats").get("cmdstat_set", {}).get("calls", 0)


def phase(args, study, viewers: int, client, server: subprocess.Popen) -> dict:
    """Workers for `--seconds` (and `viewers` viewers over the same stretch): trials/s, latencies,
    and the CPU seconds the web server and the viewers' own HTTP client used in that stretch."""
    start_at = time.time() + 20  # every worker process set up by then
    processes = start_workers(args, study.pk, start_at)
    latencies: dict[str, list[float]] = {}
    polls = page_polls(client, study, args.interval)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    pool = [
        threading.Thread(target=view, args=(polls, cookie, start_at + args.seconds, latencies))
        for _ in range(viewers)
    ]
    time.sleep(max(0.0, start_at - time.time()))
    server_cpu, client_cpu, writes = cpu_seconds(server.pid), time.process_time(), cache_writes(args)
    shortest = min(period for _, period in polls)
    for thread in pool:
        time.sleep(shortest / max(1, viewers))  # viewers spread over one period, as people are
        thread.start()
    for thread in pool:
        thread.join()
    server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
    writes = cache_writes(args) - writes
    done = finished_by(processes)
    return {
        "trials_per_s": done / args.seconds,
        "polls": polls,
        "latencies": latencies,
        "cpu": (server_cpu, client_cpu, writes),
    }


def percentiles(values: list[float]) -> str:
    import numpy as np

    p = np.percentile(values, [50, 90, 99])
    return f"{len(values)} | {p[0]:.0f} | {p[1]:.0f} | {p[2]:.0f} | {max(values):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--postgres", help="postgres://user@host:port/PREFIX (a database PREFIX_SIZE)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="the broker with --postgres")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument(
        "--processes", type=int, default=4, help="worker processes the threads are spread over"
    )
    parser.add_argument("--trial-s", type=float, default=1.0)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument(
        "--interval",
        type=float,
        help="seconds between a viewer's refreshes of each address (default: the page's periods)",
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--role-workers", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes, args.objectives = [args.size], False
    target = scale.targets_of(args, args.data_dir)[0]
    url = args.postgres and f"{args.postgres.rpartition('/')[0]}/{target.database}"
    if args.postgres:
        os.environ["CELERY_BROKER_URL"] = args.redis
    with tempfile.TemporaryDirectory(prefix="hpoweb-viewers-"):
        setup_scratch_django(args.data_dir, url)
        scale.use(target)
        if args.role_workers:
            study_id, start_at, threads = args.role_workers
            done = run_workers(args, int(study_id), int(threads), float(start_at))
            print(json.dumps({"done": done}))
            return
        _measure(args, target, url)


def _viewer(study):
    """A read-only member of the study's project: the people watching it (an editor's header holds
    its own CSRF token and is rendered for each editor)."""
    from django.contrib.auth import get_user_model

    from studies.models import Membership

    user, _ = get_user_model().objects.get_or_create(username="watcher")
    Membership.objects.get_or_create(
        project=study.project, user=user, defaults={"role": Membership.Role.VIEWER}
    )
    return user


def _measure(args, target, url: str | None) -> None:
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    scale.build(target, args.steps, False)
    study = target.study
    client = Client()
    client.force_login(_viewer(study))
    env = {**os.environ, "HPOWEB_DATA_DIR": args.data_dir, "ALLOWED_HOSTS": "127.0.0.1"}
    env["DATABASE_URL"] = url or f"sqlite:///{target.database}"
    server = serve(args, env)
    results = {}
    try:
        for viewers in (0, args.viewers):
            reopen(study, args.workers)
            results[viewers] = phase(args, study, viewers, client, server)
            close(study)
            print(f"{viewers} viewers: {results[viewers]['trials_per_s']:.1f} trials/s", file=sys.stderr)
    finally:
        server.terminate()
        server.wait()
    ideal = args.workers / args.trial_s
    print(
        f"\n{args.workers} workers, {args.trial_s:g} s trials, ideal {ideal:.1f} trials/s, {args.seconds:g} s"
    )
    print("\n| viewers | trials/s | of the ideal |\n|---:|---:|---:|")
    for viewers, result in results.items():
        print(f"| {viewers} | {result['trials_per_s']:.1f} | {result['trials_per_s'] / ideal:.0%} |")
    watched = results[args.viewers]
    print(
        f"\n{args.viewers} viewers, each address refreshed every period s: server round trip, ms"
        " (each viewer's first request of an address, as its page opens, apart)\n"
    )
    print("| request | every (s) | asked | n | p50 | p90 | p99 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    latencies = watched["latencies"]
    for url, period in watched["polls"]:
        asked = args.viewers * args.seconds / period
        shown = url.replace(f"/{study.pk}/", "/ID/")
        for kind, name, count in (
            (url, "refreshes", asked - args.viewers),
            ((url, "opening"), "opening", args.viewers),
        ):
            print(
                f"| {shown}, {name} | {period:g} | {count:.0f} | {percentiles(latencies.get(kind, [0.0]))} |"
            )
    per_s = [value / args.seconds for value in watched["cpu"]]
    answered = sum(map(len, latencies.values())) / args.seconds
    print(
        f"\nWith viewers, per second: {answered:.1f} requests answered, web server {per_s[0]:.2f} CPU s"
        f" ({1000 * per_s[0] / max(answered, 1e-9):.1f} ms a request), the viewers' HTTP client"
        f" (this process) {per_s[1]:.2f} CPU s, Redis SETs {per_s[2]:.1f}"
        " (poll answers kept, and tries to take the lock to render one again)"
    )
    print("\n    nice -n 19 .venv/bin/python benchmarks/viewers.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
