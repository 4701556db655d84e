"""Scale: page and API times, and one trial's scheduling cost, against the size of a study.

For each of `--sizes`, a fresh SQLite database (the embedded default) in a temporary folder gets a
demo study of that many trials (`studies.demo`, `--steps` curve points each, as `demo_study` makes),
then, in-process (Django's test client: routing, middleware, view, template, JSON; no network):

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

from scratch_django import setup_scratch_django


def _median_ms(call, repeat: int) -> tuple[float, int]:
    """Median milliseconds of `repeat` calls after a warm-up, and what the last call returned."""
    call()
    times, out = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def page_rows(study, user, repeat: int) -> list[tuple[str, float, int]]:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    urls = [
        ("study list", reverse("study-list")),
        ("study list rows (poll)", reverse("study-list-rows")),
        ("project page", reverse("project-detail", args=[study.project_id])),
        ("GET /api/studies/", "/api/studies/"),
        ("GET /api/studies/{id}/", f"/api/studies/{study.pk}/"),
        ("study page", study.get_absolute_url()),
        ("study header (poll)", reverse("study-header", args=[study.pk])),
    ]
    rows = []
    for name, url in urls:

        def get(url=url) -> int:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        rows.append((name, *_median_ms(get, repeat)))
    return rows


def trial_costs(study, optimizer: str, n: int) -> tuple[float, float]:
    """Median ms per trial: storing a result, then scheduling and claiming the next trial."""
    from studies import services
    from studies.models import Study, StudySummary
    from studies.services import Outcome, WorkerIdentity

    total = StudySummary.objects.get(study=study).n_trials
    Study.objects.filter(pk=study.pk).update(optimizer=optimizer, max_trials=total + n + 1, max_parallel=1)
    study.set_state(Study.State.RUNNING)
    worker = WorkerIdentity.current("bench")
    (trial_id,) = services.schedule_trials(study.pk, keep=1)
    attempt = services.claim_trial(trial_id, worker)
    store, schedule = [], []
    for _ in range(n):
        start = time.perf_counter()
        services.finish_attempt(attempt.pk, Outcome("complete", value=1.0), schedule=False)
        middle = time.perf_counter()
        (trial_id,) = services.schedule_trials(study.pk, keep=1)
        attempt = services.claim_trial(trial_id, worker)
        store.append((middle - start) * 1000)
        schedule.append((time.perf_counter() - middle) * 1000)
    services.finish_attempt(attempt.pk, Outcome("complete", value=1.0), schedule=False)
    study.set_state(Study.State.COMPLETED)
    return statistics.median(store), statistics.median(schedule)


def run_size(size: int, args) -> tuple[list, dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from studies.demo import create_demo_study

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    start = time.perf_counter()
    study = create_demo_study(user, size, args.steps, name=f"scale {size}")
    print(f"{size:,} trials: demo study built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    pages = page_rows(study, user, args.repeat)
    costs = {name: trial_costs(study, name, args.trials) for name in args.optimizers.split(",")}
    connection.close()
    return pages, costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--steps", type=int, default=2, help="learning-curve points per demo trial")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10, help="trials run per optimizer and size")
    parser.add_argument("--optimizers", default="random,tpe")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory(prefix="hpoweb-scale-") as data_dir:
        setup_scratch_django(data_dir)
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        for size in sizes:
            # One database per size, so the study list holds one study and each size starts afresh.
            if size != sizes[0]:
                _switch_database(data_dir, size)
            results[size] = run_size(size, args)
    _print(sizes, results, args)


def _switch_database(data_dir: str, size: int) -> None:
    """Point the (already set up) connection at a new SQLite file in `data_dir` and migrate it."""
    from pathlib import Path

    from django.core.management import call_command
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = str(Path(data_dir) / f"scale-{size}.sqlite3")
    call_command("migrate", verbosity=0)


def _print(sizes: list[int], results: dict, args) -> None:
    header = " | ".join(f"{s:,} trials" for s in sizes)
    print(f"\nServer time, ms (median of {args.repeat}), and KB of the answer at the largest size\n")
    print(f"| route | {header} | KB |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    names = [row[0] for row in results[sizes[0]][0]]
    for i, name in enumerate(names):
        times = " | ".join(f"{results[s][0][i][1]:.0f}" for s in sizes)
        print(f"| {name} | {times} | {results[sizes[-1]][0][i][2] / 1024:.0f} |")
    print(f"\nOne trial, ms (median of {args.trials}): result stored / next trial scheduled and claimed\n")
    print(f"| optimizer | {header} |")
    print("|---|" + "---:|" * len(sizes))
    for name in args.optimizers.split(","):
        cells = " | ".join(f"{results[s][1][name][0]:.0f} / {results[s][1][name][1]:.0f}" for s in sizes)
        print(f"| {name} | {cells} |")
    print("\n    nice -n 19 .venv/bin/python benchmarks/scale.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
