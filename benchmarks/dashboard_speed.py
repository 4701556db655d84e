"""Dashboard speed: server time and bytes of every study page and data endpoint, beside optuna-dashboard.

Builds a demo study (`studies.demo`, 6 parameters, learning curves, some failed and pruned trials)
in a fresh SQLite database in a temporary folder, lets the worker's analysis run once, then times
each hpoweb page and endpoint in-process (Django's test client: URL routing, middleware, view,
template, JSON; no network). The same trials are loaded into an Optuna RDB storage and
optuna-dashboard's WSGI app is timed the same way on the API its page draws from.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/dashboard_speed.py --trials 10000 --steps 20 --repeat 7

Prints a Markdown table (docs/benchmarks.md, "Dashboard speed"). Targets: < 300 ms median, < 1 MB.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time

from scratch_django import setup_scratch_django


def _setup_django(data_dir: str) -> None:
    setup_scratch_django(data_dir)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


def _timed(get, repeat: int) -> tuple[float, float, int]:
    """(first, median of the repeats after it) in milliseconds, and the bytes of the last answer."""
    times, size = [], 0
    for _ in range(repeat + 1):
        start = time.perf_counter()
        size = get()
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:]), size


def hpoweb_rows(n_trials: int, steps: int, repeat: int) -> tuple[list[tuple], object]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from studies.demo import create_demo_study
    from studies.plots import analysis
    from studies.plots.data import PLOTS

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    start = time.perf_counter()
    study = create_demo_study(user, n_trials, steps, name="bench")
    print(f"demo study: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    analysis.analyze(study)
    print(f"worker analysis: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    client = Client()
    client.force_login(user)
    pk = study.pk
    urls = [
        ("study page", study.get_absolute_url()),
        (
            "leaderboard page 2, sorted by a parameter",
            reverse("study-live", args=[pk]) + "?sort=-param:lr&page=2",
        ),
        ("trial page", reverse("trial-detail", args=[pk, 1])),
        ("history by time, log", reverse("study-history", args=[pk]) + "?x=time&log=1"),
        *[(f"{kind} (JSON)", reverse("study-plot", args=[pk, kind])) for kind in PLOTS],
        ("parallel, top 10 %", reverse("study-plot", args=[pk, "parallel"]) + "?top=10"),
        ("history (CSV, every trial)", reverse("study-plot-csv", args=[pk, "history"])),
        ("study list", reverse("study-list")),
        ("compare (this study)", reverse("study-compare") + f"?studies={pk}"),
        *comparison_urls(study),
    ]
    rows = []
    for name, url in urls:

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                return len(b"".join(response.streaming_content))
            return len(response.content)

        rows.append((name, *_timed(get, repeat)))
    return rows, study


def comparison_urls(study) -> list[tuple[str, str]]:
    """The pages and endpoints of finding and comparing runs (docs/comparison.md)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    study.tags.create(name="week-48")
    best = study.trials.completed().leaderboard(study.direction)[:12]
    ids = urlencode({"ids": ",".join(str(t.pk) for t in best)})
    board = urlencode(
        {"filter": 'lr < 0.01 and layers >= 3 and state == "complete"', "cols": "state,value,param:lr,worker"}
    )
    pk = study.pk
    return [
        ("leaderboard, filtered, chosen columns", reverse("study-live", args=[pk]) + f"?{board}"),
        ("its CSV (every matching trial)", f"{reverse('study-export', args=[pk, 'csv'])}?{board}"),
        ("study list by tag and search", reverse("study-list") + "?tag=week-48&search=bench"),
        ("12 best trials side by side", reverse("trial-compare") + f"?{ids}"),
        ("API: 12 trials by id", reverse("api-trial-list") + f"?{ids}"),
        ("API: study list by tag and search", reverse("api-studies") + "?tag=week-48&search=bench"),
        ("API: a study's tags", reverse("api-study-tags", args=[pk])),
    ]


def _optuna_trials(study) -> list:
    import optuna
    from django.db.models import F
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    from studies.models import Trial, TrialMetric

    distributions = {}
    for name, spec in study.space.to_dict().items():
        if spec["type"] == "categorical":
            distributions[name] = CategoricalDistribution(spec["choices"])
        elif spec["type"] == "int":
            distributions[name] = IntDistribution(spec["low"], spec["high"], log=spec["log"])
        else:
            distributions[name] = FloatDistribution(spec["low"], spec["high"], log=spec["log"])
    states = {
        "complete": optuna.trial.TrialState.COMPLETE,
        "pruned": optuna.trial.TrialState.PRUNED,
        "failed": optuna.trial.TrialState.FAIL,
    }
    curves: dict[int, dict[int, float]] = {}
    current = TrialMetric.objects.filter(trial__study=study, attempt_id=F("trial__attempt_id"))
    for trial_id, step, value in current.values_list("trial_id", "step", "value"):
        curves.setdefault(trial_id, {})[step] = value
    trials = []
    for t in Trial.objects.filter(study=study).order_by("number"):
        state = states[t.state]
        trials.append(
            optuna.trial.create_trial(
                state=state,
                value=t.value if state == optuna.trial.TrialState.COMPLETE else None,
                params=t.params,
                distributions=distributions,
                intermediate_values=curves.get(t.pk, {}),
            )
        )
    return trials


def optuna_rows(study, data_dir: str, repeat: int) -> list[tuple]:
    import optuna
    import sqlalchemy
    from optuna_dashboard import wsgi

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(f"sqlite:///{data_dir}/optuna.sqlite3")
    # Optuna writes trial by trial; without fsync per commit loading 10,000 trials takes minutes, not hours.
    sqlalchemy.event.listen(storage.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    storage.engine.dispose()
    start = time.perf_counter()
    target = optuna.create_study(study_name="bench", storage=storage, direction=study.direction)
    target.add_trials(_optuna_trials(study))
    print(f"optuna storage loaded: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    app = wsgi(storage)
    sid = target._study_id
    urls = [
        ("study page (HTML shell; drawn from the study API)", f"/dashboard/studies/{sid}"),
        ("study API (every trial: what its page draws from)", f"/api/studies/{sid}"),
        (
            "study API, new trials only (?after=N, its polling)",
            f"/api/studies/{sid}?after={len(target.trials)}",
        ),
        ("param importances API", f"/api/studies/{sid}/param_importances"),
        ("study list API", "/api/studies"),
    ]
    rows = []
    for name, url in urls:

        def get(url=url):
            from wsgiref.util import setup_testing_defaults

            path, _, query = url.partition("?")
            environ = {
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": "GET",
                "wsgi.input": io.BytesIO(),
            }
            setup_testing_defaults(environ)
            status = []
            body = b"".join(app(environ, lambda s, h, exc=None: status.append(s)))
            assert status[0].startswith("200"), (url, status)
            return len(body)

        rows.append((name, *_timed(get, repeat)))
    return rows


def _table(title: str, rows: list[tuple]) -> str:
    out = [f"**{title}**", "", "| endpoint | first (ms) | median (ms) | bytes |", "|---|---:|---:|---:|"]
    for name, first, median, size in rows:
        out.append(f"| {name} | {first:.0f} | {median:.0f} | {size:,} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7, help="timed requests after the first, per endpoint")
    parser.add_argument("--no-optuna", action="store_true", help="skip optuna-dashboard")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpoweb-bench-") as data_dir:
        _setup_django(data_dir)
        rows, study = hpoweb_rows(args.trials, args.steps, args.repeat)
        print(_table(f"hpoweb, {args.trials:,} trials x {args.steps} steps", rows))
        if not args.no_optuna:
            print()
            print(
                _table(
                    f"optuna-dashboard, same {args.trials:,} trials",
                    optuna_rows(study, data_dir, args.repeat),
                )
            )


if __name__ == "__main__":
    main()
