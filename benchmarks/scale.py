"""Scale: page and API times, and one trial's scheduling cost, against the size of a study.

For each of `--sizes`, a SQLite database of its own (the embedded default) in a temporary folder
gets a demo study of that many trials (`studies.demo`, `--steps` curve points each, as `demo_study`
makes); then the sizes are timed in turns (each round every size once, so a change of the shared
machine's load weighs on all alike), in-process (Django's test client: routing, middleware, view,
template, JSON; no network):

pages: the server time (median of `--repeat` after one warm-up) and bytes of the routes that
summarise studies: the study list and its rows, the project page, `GET /api/studies/`,
`GET /api/studies/{id}/`, the study page and its header.

trial: the study is reopened with `--trials` more to run, one at a time as a worker runs them, each
through the real services: the result stored (`finish_attempt`, its own transaction, which never
waits for a suggestion), then the next trial proposed, stored and claimed (`schedule_trials` +
`claim_trial`); medians per trial, for each of `--optimizers`.

    nice -n 19 .venv/bin/python benchmarks/scale.py --sizes 1000,10000,100000 --steps 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scratch_django import setup_scratch_django


@dataclass
class Target:
    """One size's study, in a database file of its own, and a logged-in client for it."""

    size: int
    database: str
    study: object = None
    client: object = None
    attempt: object = None  # the trial running while its trial costs are timed


def use(target: Target) -> None:
    """Point the connection at the target's database (the sizes are timed in turns, so a change of
    the machine's load weighs on every size alike)."""
    from django.db import connection

    if connection.settings_dict["NAME"] != target.database:
        connection.close()
        connection.settings_dict["NAME"] = target.database


def build(target: Target, steps: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from studies.demo import create_demo_study

    use(target)
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    start = time.perf_counter()
    target.study = create_demo_study(user, target.size, steps, name=f"scale {target.size}")
    print(f"{target.size:,} trials: demo study built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    target.client = Client()
    target.client.force_login(user)


def urls(study) -> list[tuple[str, str]]:
    from django.urls import reverse

    return [
        ("study list", reverse("study-list")),
        ("study list rows (poll)", reverse("study-list-rows")),
        ("project page", reverse("project-detail", args=[study.project_id])),
        ("GET /api/studies/", "/api/studies/"),
        ("GET /api/studies/{id}/", f"/api/studies/{study.pk}/"),
        ("study page", study.get_absolute_url()),
        ("study header (poll)", reverse("study-header", args=[study.pk])),
    ]


def page_times(targets: list[Target], repeat: int) -> dict:
    """{(size, route): (median ms, bytes)}: each round times every route of every size once; the
    first round warms up."""
    times: dict[tuple[int, str], list[float]] = {}
    sizes: dict[tuple[int, str], int] = {}
    for round_ in range(repeat + 1):
        for target in targets:
            use(target)
            for name, url in urls(target.study):
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
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--steps", type=int, default=2, help="learning-curve points per demo trial")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10, help="trials run per optimizer and size")
    parser.add_argument("--optimizers", default="random,tpe")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="hpoweb-scale-") as data_dir:
        setup_scratch_django(data_dir)
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        targets = [Target(size, str(Path(data_dir) / f"scale-{size}.sqlite3")) for size in sizes]
        for target in targets:
            build(target, args.steps)
        pages = page_times(targets, args.repeat)
        costs = {name: trial_costs(targets, name, args.trials) for name in args.optimizers.split(",")}
    _print(sizes, pages, costs, args)


def _print(sizes: list[int], pages: dict, costs: dict, args) -> None:
    header = " | ".join(f"{s:,} trials" for s in sizes)
    print(f"\nServer time, ms (median of {args.repeat}), and KB of the answer at the largest size\n")
    print(f"| route | {header} | KB |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for name in [name for (size, name) in pages if size == sizes[0]]:
        times = " | ".join(f"{pages[(s, name)][0]:.0f}" for s in sizes)
        print(f"| {name} | {times} | {pages[(sizes[-1], name)][1] / 1024:.0f} |")
    print(f"\nOne trial, ms (median of {args.trials}): result stored / next trial scheduled and claimed\n")
    print(f"| optimizer | {header} |")
    print("|---|" + "---:|" * len(sizes))
    for name, by_size in costs.items():
        cells = " | ".join(f"{by_size[s][0]:.0f} / {by_size[s][1]:.0f}" for s in sizes)
        print(f"| {name} | {cells} |")
    print("\n    nice -n 19 .venv/bin/python benchmarks/scale.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
