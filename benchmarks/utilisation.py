"""Worker utilisation: how busy N real Celery workers stay on K studies whose trials take T seconds.

For each number of workers, a child process (Django settings are per process) makes a fresh database
(PostgreSQL + Redis, or the embedded SQLite + filesystem broker), a study of `hartmann6` trials that
sleep `--trial-s` seconds (one step, so each trial also stores one curve point) with `max_parallel`
= N and a budget it will not reach, starts N `celery worker` processes as `manage.py serve` does, and
counts the trials finished in a window of `--seconds` after a warm-up: until the study has finished
as many trials as there are workers (each worker has started its job host), then one trial duration.

    utilisation = trials finished per second / (N / trial seconds)

With `--studies K` (K > 1), K such studies of `max_parallel` 4 (`--max-parallel`) run at once on the
same N workers, and the warm-up lasts until every study has finished a trial. Fairness is read from
the trials each study finished in the window: min / median / max, Jain's index (sum x)^2 / (K sum
x^2), 1 when all are equal, 1/K when one study gets everything; a study that finished none starved.
Each study's wait for its first claim is measured from its start (`start_study`) and from its first
trial's publication (claimable).

CPU per trial is the CPU that the workers (with their job hosts and jobs) and PostgreSQL used in the
window, divided by the trials finished: it varies far less with the machine's other load than wall
time does. On a machine with C cores, N workers can stay busy only while N / T trials per second need
less than C CPU seconds per second.

    python benchmarks/utilisation.py --workers 1,4,16,64 --optimizer gp [--config services|embedded]
    python benchmarks/utilisation.py --workers 16,64 --studies 50 --optimizer random
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

from throughput import (
    PG,
    ROOT,
    CpuMeter,
    config_env,
    drop_database,
    emit,
    is_postgres,
    parent,
    recreate_database,
)

DATABASE = "hpoweb_utilisation"
REDIS = "redis://127.0.0.1:6379/12"


def _child(args) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from studies import services
    from studies.models import Project, Trial, WorkerStatus

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench")
    project = Project.objects.create(name="bench")
    studies = [_create_study(owner, project, f"utilisation-{i}", args) for i in range(args.studies)]
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
        started_at = {}
        for study in studies:
            started_at[study.pk] = timezone.now()
            services.start_study(study)
        done = Trial.objects.filter(study__project=project, state=Trial.State.COMPLETE)
        deadline = time.monotonic() + 300
        while not _warm(done, args.n, len(studies)) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(args.trial_s)
        pids = {w.pid for w in workers}
        # the workers, their job hosts and the jobs those fork
        worker_cpu = CpuMeter(lambda pid: pids & {pid, parent(pid), parent(parent(pid))}).start()
        postgres_cpu = CpuMeter(is_postgres).start()
        before, started = _per_study(done), time.monotonic()
        time.sleep(args.seconds)
        after, wall = _per_study(done), time.monotonic() - started
        cpu = {"workers": worker_cpu.stop(), "postgres": postgres_cpu.stop()}
        gaps = _gaps(project, args.trial_s)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=120)
    per_study = [after.get(s.pk, 0) - before.get(s.pk, 0) for s in studies]
    finished = sum(per_study)
    rate = finished / wall
    result = {
        "config": args.config,
        "optimizer": args.optimizer,
        "workers": args.n,
        "studies": len(studies),
        "max_parallel": studies[0].max_parallel,
        "trial_s": args.trial_s,
        "finished": finished,
        "window_s": round(wall, 1),
        "trials_per_s": round(rate, 2),
        "utilisation": round(rate * args.trial_s / args.n, 3),
        "cpu_ms_per_trial": {k: round(1000 * v / max(finished, 1), 1) for k, v in cpu.items()},
        **gaps,
    }
    if len(studies) > 1:
        result.update(per_study=per_study, **_fairness(per_study), **_first_claims(studies, started_at))
    return result


def _create_study(owner, project, name: str, args):
    from studies import services
    from studies.jobs.builtins import SPACES

    definition = {
        "name": name,
        "project": project,
        "job": "hartmann6",
        "job_settings": {"duration_s": args.trial_s, "steps": 1},
        "optimizer": args.optimizer,
        "max_trials": 1_000_000,
        "max_parallel": args.max_parallel or (args.n if args.studies == 1 else 4),
    }
    return services.create_study(owner, SPACES["hartmann6"], definition)


def _warm(done, n_workers: int, n_studies: int) -> bool:
    """As many trials finished as there are workers (each has started its job host), and with
    several studies, one in every study (all of them past their first claim)."""
    if done.count() < n_workers:
        return False
    return n_studies == 1 or done.values("study").distinct().count() == n_studies


def _per_study(done) -> dict[int, int]:
    from django.db.models import Count

    return dict(done.values("study").annotate(n=Count("id")).values_list("study", "n"))


def _fairness(per_study: list[int]) -> dict:
    """Trials each study finished in the window: spread, Jain's index, and who got none."""
    total, squares = sum(per_study), sum(x * x for x in per_study)
    return {
        "per_study_min": min(per_study),
        "per_study_median": statistics.median(per_study),
        "per_study_max": max(per_study),
        "jain": round(total**2 / (len(per_study) * squares), 3) if squares else None,
        "starved": sum(1 for x in per_study if x == 0),
    }


def _first_claims(studies, started_at: dict) -> dict:
    """Each study's wait for its first claim, from its start and from its first claimable trial
    (seconds: median and max over the studies)."""
    from django.db.models import Min

    from studies.models import Attempt, Trial

    claimed = dict(
        Attempt.objects.filter(trial__study__in=studies)
        .values("trial__study")
        .annotate(first=Min("claimed"))
        .values_list("trial__study", "first")
    )
    # a trial is published as it is created (`enqueued` moves when a failed trial is retried)
    claimable = dict(
        Trial.objects.filter(study__in=studies)
        .values("study")
        .annotate(first=Min("created"))
        .values_list("study", "first")
    )
    from_start = [(claimed[s.pk] - started_at[s.pk]).total_seconds() for s in studies]
    from_claimable = [(claimed[s.pk] - claimable[s.pk]).total_seconds() for s in studies]
    return {
        "first_claim_from_start_s": {"median": _round(from_start), "max": round(max(from_start), 2)},
        "first_claim_from_claimable_s": {
            "median": _round(from_claimable),
            "max": round(max(from_claimable), 2),
        },
    }


def _round(xs: list[float]) -> float:
    return round(statistics.median(xs), 2)


def _gaps(project, trial_s: float) -> dict:
    """Median wall time a worker's cycle spends beside the job: from its claim to the attempt's end
    beyond the job's own duration (start, supervise, reap), and from that end to its next claim
    (store the result, schedule, claim)."""
    from studies.models import Attempt

    attempts = Attempt.objects.filter(trial__study__project=project, ended__isnull=False).order_by(
        "worker", "claimed"
    )
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
        recreate_database(args.database)
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        env.update(DATABASE_URL=f"{PG}/{args.database}", CELERY_BROKER_URL=args.redis)
    command = [sys.executable, __file__, "--child", "--config", config, "--n", str(n)]
    command += ["--optimizer", args.optimizer, "--trial-s", str(args.trial_s), "--seconds", str(args.seconds)]
    command += ["--studies", str(args.studies), "--max-parallel", str(args.max_parallel or 0)]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if config == "services":
        drop_database(args.database)
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
    parser.add_argument("--studies", type=int, default=1, help="studies running at once on the same workers")
    parser.add_argument(
        "--max-parallel", type=int, help="per study; default: the workers with one study, else 4"
    )
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database (created and dropped)")
    parser.add_argument("--redis", default=REDIS, help="Redis database (flushed): broker and cache")
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
            results.append(emit(run(config, n, args), args.out))
    print(f"\n    python benchmarks/utilisation.py {' '.join(sys.argv[1:])}\n")
    _print_table(results)


def _print_table(results: list[dict]) -> None:
    print(
        "| config | optimizer | workers | studies | trials/s | ideal | utilisation "
        "| CPU ms/trial: workers + PostgreSQL | median ms beside the job: run + between |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        cpu = r["cpu_ms_per_trial"]
        ideal = r["workers"] / r["trial_s"]
        print(
            f"| {r['config']} | {r['optimizer']} | {r['workers']} | {r.get('studies', 1)} "
            f"| {r['trials_per_s']:.2f} | {ideal:.1f} | {100 * r['utilisation']:.0f} % "
            f"| {cpu['workers']:.0f} + {cpu['postgres']:.0f} | {r['run_overhead_ms']} + {r['between_ms']} |"
        )
    several = [r for r in results if r.get("studies", 1) > 1]
    if not several:
        return
    print(
        "\n| config | optimizer | workers | studies x max_parallel "
        "| per study in the window: min / median / max | Jain | starved "
        "| first claim, s from start: median / max | from claimable: median / max |"
    )
    print("|---|---|---:|---|---|---:|---:|---|---|")
    for r in several:
        start, claimable = r["first_claim_from_start_s"], r["first_claim_from_claimable_s"]
        print(
            f"| {r['config']} | {r['optimizer']} | {r['workers']} | {r['studies']} x {r['max_parallel']} "
            f"| {r['per_study_min']} / {r['per_study_median']:g} / {r['per_study_max']} | {r['jain']} "
            f"| {r['starved']} | {start['median']} / {start['max']} "
            f"| {claimable['median']} / {claimable['max']} |"
        )


if __name__ == "__main__":
    main()
