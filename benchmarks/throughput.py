"""Throughput: 500 trials of a trivial job on N workers, end to end, next to Optuna in the same run.

Each hpoweb configuration runs in a child process of its own (Django settings are per process):
  embedded   SQLite (WAL, IMMEDIATE) + kombu's filesystem broker, in a fresh data folder
  services   PostgreSQL (database hpoweb_bench, created and dropped) + Redis (database 14, flushed)
and Optuna runs as many processes on RDB storage in the same PostgreSQL (database optuna_bench), the
same objective, with its random sampler (`optuna`) or TPE (`optuna_tpe`). Trials/s is wall time from
starting the study to its completion (workers are started and ready before). Per-trial overhead: the
cycle, on each worker the time from one attempt's claim to its next one's, which for this job
(microseconds of work) is all overhead: claim, start the job, reap it, store the result, schedule
and claim the next. CPU per trial (the workers with their job
hosts and jobs, and PostgreSQL's processes) varies far less with the machine's load than wall time.

    python benchmarks/throughput.py [--trials 500] [--workers 1,2,4,8]
        [--only embedded,services,optuna,optuna_tpe]

With several worker counts, each count runs every configuration in turn, and a last table gives
hpoweb's rate over Optuna's (random against random) per count.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"
SPACE = {
    "x1": {"type": "float", "low": -5.0, "high": 10.0},
    "x2": {"type": "float", "low": 0.0, "high": 15.0},
}


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class CpuMeter:
    """CPU seconds that processes used while the meter ran: a machine shared with other work inflates
    wall time far more than CPU time, so CPU per trial compares runs made at different loads.

    Polls /proc, so a process that exits between two polls loses at most one period of its time.
    """

    def __init__(self, match, period_s: float = 0.1) -> None:
        self._match, self._period = match, period_s
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _cpu_s(pid: int) -> float:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # own + reaped children

    def _poll(self, first: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                if not self._match(pid):
                    continue
                cpu = self._cpu_s(pid)
            except OSError:
                continue
            if first:
                self._first[pid] = cpu
            self._last[pid] = cpu

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._poll()

    def start(self) -> CpuMeter:
        self._poll(first=True)
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._poll()
        return sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items())


def parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def is_postgres(pid: int) -> bool:
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip() == "postgres"


def config_env(config: str, data_dir: str) -> dict[str, str]:
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
                "INFO",  # a line per task received: the tasks per trial below
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
        worker_pids = {w.pid for w in workers}
        worker_cpu = CpuMeter(lambda pid: pid in worker_pids or parent(pid) in worker_pids).start()
        postgres_cpu = CpuMeter(is_postgres).start()
        started = time.perf_counter()
        services.start_study(study)
        while Study.objects.get(pk=study.pk).state == Study.State.RUNNING:
            time.sleep(0.05)
        wall = time.perf_counter() - started
        cpu = {"workers": worker_cpu.stop(), "postgres": postgres_cpu.stop()}
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    study.refresh_from_db()
    cycles = []
    attempts = Attempt.objects.filter(trial__study=study).order_by("worker", "claimed")
    by_worker: dict[str, list] = {}
    for worker, claimed in attempts.values_list("worker", "claimed"):
        by_worker.setdefault(worker, []).append(claimed)
    for claims in by_worker.values():
        cycles += [(nxt - prev).total_seconds() for prev, nxt in zip(claims, claims[1:], strict=False)]
    complete = study.trials.filter(state="complete").count()
    return {
        "config": config,
        "workers": n_workers,
        "trials": complete,
        "state": study.state,
        "wall_s": wall,
        "trials_per_s": complete / wall,
        "cpu_ms_per_trial": {k: round(1000 * v / complete, 1) for k, v in cpu.items()},
        "cycle_ms_median": 1000 * statistics.median(cycles),
        "tasks_per_100_trials": {name: round(100 * n / complete) for name, n in _tasks(logs).items()},
    }


def _tasks(logs: Path) -> dict[str, int]:
    """The tasks the workers took, by name (Celery logs each one received at INFO): a trial that a
    finishing worker claims directly costs no message; one that leaves its chain costs a
    `run_trial` message and often a `schedule_study` step."""
    found = collections.Counter()
    for log in logs.glob("worker*.log"):
        found.update(re.findall(r"Task workers\.(\w+)\[[^\]]*\] received", log.read_text()))
    return dict(found)


def run_hpoweb(config: str, n_trials: int, n_workers: int) -> dict:
    data_dir = tempfile.mkdtemp(prefix=f"hpoweb-bench-{config}-")
    if config == "services":
        recreate_database("hpoweb_bench")
        import redis

        redis.Redis.from_url(REDIS).flushdb()
    env = config_env(config, data_dir)
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
        drop_database("hpoweb_bench")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- Optuna on the same PostgreSQL --------------------------------------------------------------------


OPTUNA_SAMPLERS = {"optuna": "RandomSampler", "optuna_tpe": "TPESampler"}


def _optuna_worker(url: str, n_trials: int, sampler: str) -> None:
    import math

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = getattr(optuna.samplers, sampler)()
    study = optuna.load_study(study_name="throughput", storage=url, sampler=sampler)

    def objective(trial) -> float:
        x, y = trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0)
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10

    study.optimize(objective, n_trials=n_trials)


def run_optuna(n_trials: int, n_workers: int, config: str = "optuna") -> dict:
    import multiprocessing

    import optuna

    recreate_database("optuna_bench")
    url = f"{PG.replace('postgres://', 'postgresql+psycopg://')}/optuna_bench"
    optuna.create_study(study_name="throughput", storage=url)
    share = [n_trials // n_workers + (i < n_trials % n_workers) for i in range(n_workers)]
    context = multiprocessing.get_context("spawn")
    sampler = OPTUNA_SAMPLERS[config]
    processes = [context.Process(target=_optuna_worker, args=(url, n, sampler)) for n in share if n]
    postgres_cpu = CpuMeter(is_postgres).start()
    before = os.times()
    started = time.perf_counter()
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    wall = time.perf_counter() - started
    after = os.times()
    cpu = {
        "workers": sum(after[2:4]) - sum(before[2:4]),  # the reaped processes' user + system time
        "postgres": postgres_cpu.stop(),
    }
    study = optuna.load_study(study_name="throughput", storage=url)
    complete = len(study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE]))
    starts = sorted(t.datetime_start for t in study.get_trials(deepcopy=False))
    del study
    drop_database("optuna_bench")
    return {
        "config": config,
        "workers": n_workers,
        "trials": complete,
        "wall_s": wall,
        "trials_per_s": complete / wall,
        "cpu_ms_per_trial": {k: round(1000 * v / complete, 1) for k, v in cpu.items()},
        "first_to_last_start_s": (starts[-1] - starts[0]).total_seconds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--workers", default="2", help="worker (or Optuna process) counts: 1,2,4,8")
    parser.add_argument("--only", default="embedded,services,optuna", help="and optuna_tpe")
    parser.add_argument("--out", help="append each result as a JSON line")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_child(args.child, args.trials, int(args.workers))))
        return
    results = []
    for n_workers in (int(n) for n in args.workers.split(",")):
        for config in args.only.split(","):
            if config in OPTUNA_SAMPLERS:
                result = run_optuna(args.trials, n_workers, config)
            else:
                result = run_hpoweb(config, args.trials, n_workers)
            results.append(emit(result, args.out))
    print(f"\n    python benchmarks/throughput.py {' '.join(sys.argv[1:])}\n")
    _print_tables(results)


def emit(result: dict, out: str | None) -> dict:
    """Print a run's result as a JSON line, and append it to `out` if given."""
    print(json.dumps(result), flush=True)
    if out:
        with open(out, "a") as f:
            f.write(json.dumps(result) + "\n")
    return result


def _print_tables(results: list[dict]) -> None:
    print(
        "| run | workers | trials | wall s | trials/s | CPU ms/trial: own + PostgreSQL | median cycle ms"
        " | tasks per 100 trials: run_trial, schedule_study |"
    )
    print("|---|---:|---|---|---|---|---|---|")
    for r in results:
        cycle = f"{r['cycle_ms_median']:.1f}" if "cycle_ms_median" in r else "—"
        tasks = r.get("tasks_per_100_trials")
        tasks = f"{tasks.get('run_trial', 0)}, {tasks.get('schedule_study', 0)}" if tasks else "—"
        rate = f"{r['trials_per_s']:.1f}"
        cpu = f"{r['cpu_ms_per_trial']['workers']:.0f} + {r['cpu_ms_per_trial']['postgres']:.0f}"
        wall = f"{r['wall_s']:.1f}"
        run = f"| {r['config']} | {r['workers']} | {r['trials']} | {wall} | {rate} | {cpu} | {cycle}"
        print(f"{run} | {tasks} |")
    rates = {(r["config"], r["workers"]): r["trials_per_s"] for r in results}
    counts = sorted({r["workers"] for r in results})
    configs = list(dict.fromkeys(r["config"] for r in results))
    if "optuna" not in configs:
        return
    hpoweb = [c for c in configs if c not in OPTUNA_SAMPLERS]
    header = " | ".join(configs + [f"{c} / optuna" for c in hpoweb])
    print(f"\n| workers | {header} |\n|---:|{'---:|' * (len(configs) + len(hpoweb))}")
    for n in counts:
        cells = [f"{rates[c, n]:.1f}" if (c, n) in rates else "—" for c in configs]
        optuna = rates.get(("optuna", n))
        cells += [f"{rates[c, n] / optuna:.2f}" if optuna and (c, n) in rates else "—" for c in hpoweb]
        print(f"| {n} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
