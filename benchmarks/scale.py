"""Scale: page and API times, and one trial's scheduling cost, against the size of a study.

For each of `--sizes`, a database of its own gets a demo study of that many trials (`studies.demo`,
`--steps` curve points each, as `demo_study` makes; `--objectives`: the demo's study with two
objectives and a constraint): a SQLite file (the embedded default) in `--data-dir`, or with
`--postgres URL` a PostgreSQL database named after the URL's with `_SIZE` (`_mo_SIZE`) appended. A
database that already holds its study is reused, so a million-trial study is built once (`--data-dir`
defaults to a temporary folder). Then the sizes are timed in turns (each round every size once, so a
change of the shared machine's load weighs on all alike), in-process (Django's test client: routing,
middleware, view, template, JSON; no network):

pages: the server time (median of `--repeat` after one warm-up) and bytes of the routes that
summarise studies (`--routes summary`: the study list and its rows, the project page,
`GET /api/studies/`, `GET /api/studies/{id}/`, the study page and its header) or of every page, plot
and API route of the study (`--routes all`, `benchmarks/scale_routes.py`).

downloads (`--downloads`): each export streamed once (up to `--download-mb`): seconds to the first
chunk and in all, MB/s, and how far the process's resident memory rose while it streamed.

trial: the study is reopened with `--trials` more to run, one at a time as a worker runs them, each
through the real services: the result stored (`finish_attempt`, its own transaction, which never
waits for a suggestion), then the next trial proposed, stored and claimed (`schedule_trials` +
`claim_trial`); medians per trial, for each of `--optimizers`.

    nice -n 19 .venv/bin/python benchmarks/scale.py --sizes 1000,10000,100000 --steps 2
    nice -n 19 .venv/bin/python benchmarks/scale.py --sizes 10000,1000000 --data-dir /tmp/scale \
        --routes all --downloads --optimizers ""
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import scale_routes
from scratch_django import setup_scratch_django


@dataclass
class Target:
    """One size's study, in a database file of its own, and a logged-in client for it."""

    size: int
    database: str
    study: object = None
    client: object = None
    attempt: object = None  # the trial running while its trial costs are timed
    routes: list = None


def use(target: Target) -> None:
    """Point the connection at the target's database (the sizes are timed in turns, so a change of
    the machine's load weighs on every size alike)."""
    from django.db import connection

    if connection.settings_dict["NAME"] != target.database:
        connection.close()
        connection.settings_dict["NAME"] = target.database


def build(target: Target, steps: int, objectives: bool) -> None:
    """The target's study, built unless its database already holds it."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from studies.demo import create_demo_study
    from studies.models import Study

    use(target)
    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    user = users.filter(username="bench").first() or users.create_superuser("bench", "b@example.com", "bench")
    name = f"scale {target.size}" + (" mo" if objectives else "")
    target.study = Study.objects.filter(name=name, state=Study.State.COMPLETED).first()
    if target.study is None:
        start = time.perf_counter()
        target.study = create_demo_study(user, target.size, steps, name=name, objectives=objectives)
        print(
            f"{target.size:,} trials: demo study built in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
        )
    target.client = Client()
    target.client.force_login(user)


def create_postgres_database(url: str) -> None:
    """CREATE DATABASE unless it exists (through the server's `postgres` database)."""
    import psycopg

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def targets_of(args, data_dir: str) -> list[Target]:
    suffix = "_mo" if args.objectives else ""
    if not args.postgres:
        return [Target(size, str(Path(data_dir) / f"scale{suffix}-{size}.sqlite3")) for size in args.sizes]
    targets = []
    for size in args.sizes:
        url = f"{args.postgres}{suffix}_{size}"
        create_postgres_database(url)
        targets.append(Target(size, url.rpartition("/")[2]))
    return targets


def page_times(targets: list[Target], repeat: int, routes) -> dict:
    """{(size, route): (median ms, bytes)}: each round times every route of every size once; the
    first round warms up."""
    times: dict[tuple[int, str], list[float]] = {}
    sizes: dict[tuple[int, str], int] = {}
    for target in targets:
        use(target)
        target.routes = routes(target.study)
    for round_ in range(repeat + 1):
        for target in targets:
            use(target)
            for name, url in target.routes:
                start = time.perf_counter()
                response = target.client.get(url)
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, (url, response.status_code)
                if round_:
                    times.setdefault((target.size, name), []).append(elapsed)
                sizes[(target.size, name)] = len(response.content)
    return {key: (statistics.median(ms), sizes[key]) for key, ms in times.items()}


def trial_costs(targets: list[Target], optimizer: str, n: int) -> dict[int, tuple[float, float]]:
    """{size: (median ms storing a result, median ms scheduling and claiming the next trial)}, the
    sizes in turns, one trial at a time as a worker runs them."""
    from studies import services
    from studies.models import Study, StudySummary
    from studies.services import Outcome, WorkerIdentity

    worker = WorkerIdentity.current("bench")
    for target in targets:
        use(target)
        study = target.study
        total = StudySummary.objects.get(study=study).n_trials
        reopened = {"optimizer": optimizer, "max_trials": total + n + 1, "max_parallel": 1}
        Study.objects.filter(pk=study.pk).update(**reopened)
        study.set_state(Study.State.RUNNING)
        (trial_id,) = services.schedule_trials(study.pk, keep=1)
        target.attempt = services.claim_trial(trial_id, worker)
    store: dict[int, list[float]] = {}
    schedule: dict[int, list[float]] = {}
    for _ in range(n):
        for target in targets:
            use(target)
            start = time.perf_counter()
            services.finish_attempt(target.attempt.pk, Outcome("complete", value=1.0), schedule=False)
            middle = time.perf_counter()
            (trial_id,) = services.schedule_trials(target.study.pk, keep=1)
            target.attempt = services.claim_trial(trial_id, worker)
            store.setdefault(target.size, []).append((middle - start) * 1000)
            schedule.setdefault(target.size, []).append((time.perf_counter() - middle) * 1000)
    for target in targets:
        use(target)
        services.finish_attempt(target.attempt.pk, Outcome("complete", value=1.0), schedule=False)
        target.study.set_state(Study.State.COMPLETED)
    return {size: (statistics.median(store[size]), statistics.median(schedule[size])) for size in store}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", type=lambda t: [int(s) for s in t.split(",")])
    parser.add_argument("--steps", type=int, default=2, help="learning-curve points per demo trial")
    parser.add_argument("--objectives", action="store_true", help="the demo's study with two objectives")
    parser.add_argument("--data-dir", help="SQLite files kept and reused here (default: a temporary folder)")
    parser.add_argument(
        "--postgres", help="postgres://user@host:port/PREFIX: one database PREFIX_SIZE a size"
    )
    parser.add_argument("--routes", default="summary", choices=["summary", "all", "none"])
    parser.add_argument("--downloads", action="store_true", help="stream each export once")
    parser.add_argument("--download-mb", type=float, default=50, help="stop reading a download past this")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10, help="trials run per optimizer and size")
    parser.add_argument("--optimizers", default="random,tpe", help='"" for none')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpoweb-scale-") as scratch:
        data_dir = args.data_dir or scratch
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        targets = targets_of(args, data_dir)
        setup_scratch_django(
            data_dir, args.postgres and f"{args.postgres.rpartition('/')[0]}/{targets[0].database}"
        )
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        # Time the render: a poll's answer kept for the next viewer (studies.web.poll_cache) would
        # answer every round after the first from the cache.
        settings.POLL_CACHE_S = 0
        for target in targets:
            build(target, args.steps, args.objectives)
        routes = {"summary": scale_routes.summary_routes, "all": scale_routes.all_routes}.get(args.routes)
        pages = page_times(targets, args.repeat, routes) if routes else {}
        downloads = {}
        for target in targets if args.downloads else []:
            use(target)
            for name, url in scale_routes.download_routes(target.study):
                downloads[(target.size, name)] = scale_routes.time_download(
                    target.client, url, args.download_mb
                )
        optimizers = [name for name in args.optimizers.split(",") if name]
        costs = {name: trial_costs(targets, name, args.trials) for name in optimizers}
    _print(args.sizes, pages, downloads, costs, args)


def _print(sizes: list[int], pages: dict, downloads: dict, costs: dict, args) -> None:
    header = " | ".join(f"{s:,} trials" for s in sizes)
    if pages:
        print(f"\nServer time, ms (median of {args.repeat}), and KB of the answer at the largest size\n")
        print(f"| route | {header} | KB |")
        print("|---|" + "---:|" * (len(sizes) + 1))
        for name in [name for (size, name) in pages if size == sizes[0]]:
            times = " | ".join(f"{pages[(s, name)][0]:.0f}" for s in sizes)
            print(f"| {name} | {times} | {pages[(sizes[-1], name)][1] / 1024:.0f} |")
    if downloads:
        print(f"\nDownloads, read up to {args.download_mb:g} MB: s to the first chunk, s in all, MB read,")
        print("MB/s, and how far the process's resident memory rose while it streamed\n")
        print("| download | trials | first s | s | MB | MB/s | memory rise MB |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for (size, name), d in downloads.items():
            cells = f"{d['first_s']:.2f} | {d['total_s']:.1f} | {d['bytes'] / 2**20:.1f}"
            cells += f" | {d['mb_s']:.1f} | {d['rise_mb']:.1f}"
            print(f"| {name} | {size:,} | {cells} |")
    if costs:
        print(
            f"\nOne trial, ms (median of {args.trials}): result stored / next trial scheduled and claimed\n"
        )
        print(f"| optimizer | {header} |")
        print("|---|" + "---:|" * len(sizes))
        for name, by_size in costs.items():
            cells = " | ".join(f"{by_size[s][0]:.0f} / {by_size[s][1]:.0f}" for s in sizes)
            print(f"| {name} | {cells} |")
    print("\n    nice -n 19 .venv/bin/python benchmarks/scale.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
