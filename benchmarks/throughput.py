"""Throughput: 500 trials of a trivial job on 2 workers, end to end, next to Optuna in the same run.

Each hpoweb configuration runs in a child process of its own (Django settings are per process):
  embedded   SQLite (WAL, IMMEDIATE) + kombu's filesystem broker, in a fresh data folder
  services   PostgreSQL (database hpoweb_bench, created and dropped) + Redis (database 14, flushed)
and Optuna runs 2 processes on RDB storage in the same PostgreSQL (database optuna_bench), random
sampler, the same objective. Trials/s is wall time from starting the study to its completion (workers
are started and ready before). Per-trial overhead: on each worker, the time from one attempt's end
(result stored) to its next attempt's claim; the cycle is claim to next claim (a trivial job's whole cost).

    python benchmarks/throughput.py [--trials 500] [--only embedded,services,optuna]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"
SPACE = {
    "x1": {"type": "float", "low": -5.0, "high": 10.0},
    "x2": {"type": "float", "low": 0.0, "high": 15.0},
}


def _recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _config_env(config: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="hpoweb.settings", HPOWEB_DATA_DIR=data_dir, LOG_LEVEL="WARNING")
    if config == "services":
        env.update(DATABASE_URL=f"{PG}/hpoweb_bench", CELERY_BROKER_URL=REDIS)
    return env


# --- child: one hpoweb configuration ----------------------------------------------------------------


def _child(config: str, n_trials: int, n_workers: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from studies import services
    from studies.models import Attempt, Project, Study, WorkerStatus

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench")
    project = Project.objects.create(name="bench")
    study = services.create_study(
        owner,
        SPACE,
        {
            "name": "throughput",
            "project": project,
            "job": "branin",
            "optimizer": "random",
            "max_trials": n_trials,
            "max_parallel": n_workers,
        },
    )
    logs = Path(os.environ["HPOWEB_DATA_DIR"])
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hpoweb",
                "worker",
                "-n",
                f"bench{i}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            stdout=open(logs / f"worker{i}.log", "w"),
            stderr=subprocess.STDOUT,
        )
        for i in range(n_workers)
    ]
    try:
        while WorkerStatus.objects.count() < n_workers:
            time.sleep(0.1)
        started = time.perf_counter()
        services.start_study(study)
        while Study.objects.get(pk=study.pk).state == Study.State.RUNNING:
            time.sleep(0.05)
        wall = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    study.refresh_from_db()
    gaps, cycles = [], []
    attempts = Attempt.objects.filter(trial__study=study).order_by("worker", "claimed")
    by_worker: dict[str, list] = {}
    for a in attempts.values("worker", "claimed", "ended"):
        by_worker.setdefault(a["worker"], []).append(a)
    for rows in by_worker.values():
        for prev, nxt in zip(rows, rows[1:], strict=False):
            gaps.append((nxt["claimed"] - prev["ended"]).total_seconds())
            cycles.append((nxt["claimed"] - prev["claimed"]).total_seconds())
    complete = study.trials.filter(state="complete").count()
    ends = sorted(a["ended"] for rows in by_worker.values() for a in rows)
    schedule, claim = [], []
    for created, started in study.trials.filter(number__gt=n_workers).values_list("created", "started"):
        freed = max((e for e in ends if e <= created), default=None)
        if freed is not None:
            schedule.append((created - freed).total_seconds())
        claim.append((started - created).total_seconds())
    return {
        "config": config,
        "trials": complete,
        "state": study.state,
        "wall_s": wall,
        "trials_per_s": complete / wall,
        "gap_ms_median": 1000 * statistics.median(gaps),
        "cycle_ms_median": 1000 * statistics.median(cycles),
        "end_to_next_created_ms_median": 1000 * statistics.median(schedule),
        "created_to_claim_ms_median": 1000 * statistics.median(claim),
    }


def run_hpoweb(config: str, n_trials: int, n_workers: int) -> dict:
    data_dir = tempfile.mkdtemp(prefix=f"hpoweb-bench-{config}-")
    if config == "services":
        _recreate_database("hpoweb_bench")
        import redis

        redis.Redis.from_url(REDIS).flushdb()
    env = _config_env(config, data_dir)
    args = [
        sys.executable,
        __file__,
        "--child",
        config,
        "--trials",
        str(n_trials),
        "--workers",
        str(n_workers),
    ]
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{config} failed:\n{out.stderr[-4000:]}")
    if config == "services":
        _drop_database("hpoweb_bench")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- Optuna on the same PostgreSQL --------------------------------------------------------------------


def _optuna_worker(url: str, n_trials: int) -> None:
    import math

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="throughput", storage=url, sampler=optuna.samplers.RandomSampler())

    def objective(trial) -> float:
        x, y = trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0)
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10

    study.optimize(objective, n_trials=n_trials)


def run_optuna(n_trials: int, n_workers: int) -> dict:
    import multiprocessing

    import optuna

    _recreate_database("optuna_bench")
    url = f"{PG.replace('postgres://', 'postgresql+psycopg://')}/optuna_bench"
    optuna.create_study(study_name="throughput", storage=url)
    share = [n_trials // n_workers + (i < n_trials % n_workers) for i in range(n_workers)]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_optuna_worker, args=(url, n)) for n in share]
    started = time.perf_counter()
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    wall = time.perf_counter() - started
    study = optuna.load_study(study_name="throughput", storage=url)
    complete = len(study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE]))
    starts = sorted(t.datetime_start for t in study.get_trials(deepcopy=False))
    del study
    _drop_database("optuna_bench")
    return {
        "config": "optuna",
        "trials": complete,
        "wall_s": wall,
        "trials_per_s": complete / wall,
        "first_to_last_start_s": (starts[-1] - starts[0]).total_seconds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="embedded,services,optuna")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_child(args.child, args.trials, args.workers)))
        return
    results = []
    for config in args.only.split(","):
        if config == "optuna":
            result = run_optuna(args.trials, args.workers)
        else:
            result = run_hpoweb(config, args.trials, args.workers)
        print(json.dumps(result), flush=True)
        results.append(result)
    print("\n| run | trials | wall s | trials/s | median gap end→next claim ms | median cycle ms |")
    print("|---|---|---|---|---|---|")
    for r in results:
        gap = f"{r['gap_ms_median']:.1f}" if "gap_ms_median" in r else "—"
        cycle = f"{r['cycle_ms_median']:.1f}" if "cycle_ms_median" in r else "—"
        rate = f"{r['trials_per_s']:.1f}"
        print(f"| {r['config']} | {r['trials']} | {r['wall_s']:.1f} | {rate} | {gap} | {cycle} |")


if __name__ == "__main__":
    main()
