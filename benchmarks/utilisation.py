"""Worker utilisation: how busy N real Celery workers stay on one study whose trials take T seconds.

For each number of workers, a child process (Django settings are per process) makes a fresh database
(PostgreSQL + Redis, or the embedded SQLite + filesystem broker), a study of `hartmann6` trials that
sleep `--trial-s` seconds (one step, so each trial also stores one curve point) with `max_parallel`
= N and a budget it will not reach, starts N `celery worker` processes as `manage.py serve` does, and
counts the trials finished in a window of `--seconds` after a warm-up: until the study has finished
as many trials as there are workers (each worker has started its job host), then one trial duration.

    utilisation = trials finished per second / (N / trial seconds)

CPU per trial is the CPU that the workers (with their job hosts and jobs) and PostgreSQL used in the
window, divided by the trials finished: it varies far less with the machine's other load than wall
time does. On a machine with C cores, N workers can stay busy only while N / T trials per second need
less than C CPU seconds per second.

    python benchmarks/utilisation.py --workers 1,4,16,64 --optimizer gp [--config services|embedded]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throughput import PG, ROOT, CpuMeter, config_env, drop_database, is_postgres, parent, recreate_database

DATABASE = "hpoweb_utilisation"
REDIS = "redis://127.0.0.1:6379/12"


def _child(args) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from studies import services
    from studies.jobs.builtins import SPACES
    from studies.models import Project, Trial, WorkerStatus

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench")
    study = services.create_study(
        owner,
        SPACES["hartmann6"],
        {
            "name": "utilisation",
            "project": Project.objects.create(name="bench"),
            "job": "hartmann6",
            "job_settings": {"duration_s": args.trial_s, "steps": 1},
            "optimizer": args.optimizer,
            "max_trials": 1_000_000,
            "max_parallel": args.n,
        },
    )
    logs = Path(os.environ["HPOWEB_DATA_DIR"])
    celery = [sys.executable, "-m", "celery", "-A", "hpoweb", "worker", "--loglevel", "WARNING"]
    workers = [
        subprocess.Popen(
            [*celery, "-n", f"bench{i}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            stdout=open(logs / f"worker{i}.log", "w"),
            stderr=subprocess.STDOUT,
        )
        for i in range(args.n)
    ]
    try:
        deadline = time.monotonic() + 120 + 2 * args.n
        while WorkerStatus.objects.count() < args.n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {WorkerStatus.objects.count()} of {args.n} workers started")
            time.sleep(0.2)
        services.start_study(study)
        done = study.trials.filter(state=Trial.State.COMPLETE)
        deadline = time.monotonic() + 300
        while done.count() < args.n and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(args.trial_s)
        pids = {w.pid for w in workers}
        # the workers, their job hosts and the jobs those fork
        worker_cpu = CpuMeter(lambda pid: pids & {pid, parent(pid), parent(parent(pid))}).start()
        postgres_cpu = CpuMeter(is_postgres).start()
        before, started = done.count(), time.monotonic()
        time.sleep(args.seconds)
        finished, wall = done.count() - before, time.monotonic() - started
        cpu = {"workers": worker_cpu.stop(), "postgres": postgres_cpu.stop()}
        gaps = _gaps(study, args.trial_s)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=120)
    rate = finished / wall
    return {
        "config": args.config,
        "optimizer": args.optimizer,
        "workers": args.n,
        "trial_s": args.trial_s,
        "finished": finished,
        "window_s": round(wall, 1),
        "trials_per_s": round(rate, 2),
        "utilisation": round(rate * args.trial_s / args.n, 3),
        "cpu_ms_per_trial": {k: round(1000 * v / max(finished, 1), 1) for k, v in cpu.items()},
        **gaps,
    }


def _gaps(study, trial_s: float) -> dict:
    """Median wall time a worker's cycle spends beside the job: from its claim to the attempt's end
    beyond the job's own duration (start, supervise, reap), and from that end to its next claim
    (store the result, schedule, claim)."""
    import statistics

    from studies.models import Attempt

    attempts = Attempt.objects.filter(trial__study=study, ended__isnull=False).order_by("worker", "claimed")
    rows = list(attempts.values_list("worker", "claimed", "ended"))
    run = [(ended - claimed).total_seconds() - trial_s for _, claimed, ended in rows]
    pairs = zip(rows, rows[1:], strict=False)
    between = [(nxt[1] - cur[2]).total_seconds() for cur, nxt in pairs if cur[0] == nxt[0]]
    ms = lambda xs: round(1000 * statistics.median(xs), 1) if xs else None  # noqa: E731
    return {"run_overhead_ms": ms(run), "between_ms": ms(between)}


def run(config: str, n: int, args) -> dict:
    data_dir = tempfile.mkdtemp(prefix="hpoweb-utilisation-")
    env = config_env(config, data_dir)
    if config == "services":
        recreate_database(DATABASE)
        import redis

        redis.Redis.from_url(REDIS).flushdb()
        env.update(DATABASE_URL=f"{PG}/{DATABASE}", CELERY_BROKER_URL=REDIS)
    command = [sys.executable, __file__, "--child", "--config", config, "--n", str(n)]
    command += ["--optimizer", args.optimizer, "--trial-s", str(args.trial_s), "--seconds", str(args.seconds)]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if config == "services":
        drop_database(DATABASE)
    if out.returncode != 0:
        raise RuntimeError(f"{config} with {n} workers failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,4,16,64")
    parser.add_argument("--optimizer", default="gp")
    parser.add_argument("--trial-s", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--config", default="services", help="services, embedded, or both: services,embedded")
    parser.add_argument("--out", help="append each result as a JSON line")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_child(args)))
        return
    results = []
    for config in args.config.split(","):
        for n in (int(n) for n in args.workers.split(",")):
            result = run(config, n, args)
            print(json.dumps(result), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(result) + "\n")
            results.append(result)
    print(f"\n    python benchmarks/utilisation.py {' '.join(sys.argv[1:])}\n")
    print(
        "| config | optimizer | workers | trials/s | ideal | utilisation "
        "| CPU ms/trial: workers + PostgreSQL | median ms beside the job: run + between |"
    )
    print("|---|---|---:|---:|---:|---:|---|---|")
    for r in results:
        cpu = r["cpu_ms_per_trial"]
        ideal = r["workers"] / r["trial_s"]
        print(
            f"| {r['config']} | {r['optimizer']} | {r['workers']} | {r['trials_per_s']:.2f} | {ideal:.1f} "
            f"| {100 * r['utilisation']:.0f} % | {cpu['workers']:.0f} + {cpu['postgres']:.0f} "
            f"| {r['run_overhead_ms']} + {r['between_ms']} |"
        )


if __name__ == "__main__":
    main()
