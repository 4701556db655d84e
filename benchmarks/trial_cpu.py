"""Where one trial's CPU goes in the worker's own process, phase by phase, without Celery or a job.

One process plays N workers of one study of `hartmann6` trials (`max_parallel` N) on a fresh
database, as `benchmarks/utilisation.py` runs them: each trial is claimed, reports one curve point
(`record_metric` and the pruner's question), beats once, and is finished; its job (0 s) runs through
the process's job host as the runner starts it; every `--batch` results,
one scheduling step fills the freed slots (the step's CPU divided over its trials, as at 64 workers
where one step serves the results that arrived meanwhile). CPU is this process's (`process_time`)
and, on PostgreSQL, the backend's (`/proc`), and the job host's and its forked jobs', per trial,
after `--warm` trials. Not here: Celery's handling of the trial's message, the status thread, the
reaper and the analysis (benchmarks/utilisation.py measures everything together).

    python benchmarks/trial_cpu.py [--optimizer random|gp] [--trials 300] [--batch 8] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict

from scratch_django import setup_scratch_django
from throughput import recreate_database

PHASES = ("claim", "job", "report", "heartbeat", "finish", "schedule")


def _cpu_s(pid: int | None, children: bool = False) -> float:
    """A process's CPU seconds from /proc; with `children`, those of its reaped children."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    first = 13 if children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def _run_job(params: dict) -> None:
    """The trial's job through this process's job host, as the runner starts and follows it."""
    from workers import jobhost

    proc = jobhost.start_callable("hartmann6", params, {"duration_s": 0.0, "steps": 1})
    while proc.status is None:
        for message in proc.messages(0.5):
            if "step" in message:
                proc.answer(False)
    proc.close()


def measure(args) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from studies import services
    from studies.jobs.builtins import SPACES
    from studies.models import Project, Trial
    from studies.services import Outcome, WorkerIdentity

    owner = get_user_model().objects.create_user("bench")
    definition = {
        "name": "trial-cpu",
        "project": Project.objects.create(name="bench"),
        "job": "hartmann6",
        "job_settings": {"duration_s": 0.0, "steps": 1},
        "optimizer": args.optimizer,
        "max_trials": 1_000_000,
        "max_parallel": args.workers,
    }
    study = services.create_study(owner, SPACES["hartmann6"], definition)
    services.start_study(study)
    services.schedule_trials(study.pk)
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid if connection.vendor == "postgresql" else None
    worker = WorkerIdentity.current("bench@host")
    cpu, pg, hosts = defaultdict(float), defaultdict(float), defaultdict(float)
    complete = Outcome("complete", value=1.0)
    done = 0

    def timed(phase: str, fn, *a):
        c0, p0 = time.process_time(), _cpu_s(backend)
        out = fn(*a)
        if done >= args.warm:
            cpu[phase] += time.process_time() - c0
            pg[phase] += _cpu_s(backend) - p0
        return out

    def job(params: dict) -> None:
        """The job's CPU: this process's share, the host's own and the forked job's (reaped by it)."""
        from workers import jobhost

        host = getattr(getattr(jobhost._local, "host", None), "process", None)
        h0 = (_cpu_s(host.pid), _cpu_s(host.pid, children=True)) if host else (0.0, 0.0)
        timed("job", _run_job, params)
        if done >= args.warm and host:
            hosts["host"] += _cpu_s(host.pid) - h0[0]
            hosts["job process"] += _cpu_s(host.pid, children=True) - h0[1]

    while done < args.warm + args.trials:
        queued = list(
            Trial.objects.filter(study=study, state=Trial.State.QUEUED).values_list("pk", flat=True)[
                : args.batch
            ]
        )
        for trial_id in queued:
            attempt = timed("claim", services.claim_trial, trial_id, worker)
            job(attempt.trial.params)
            timed(
                "report",
                lambda a=attempt: (services.record_metric(a.pk, 1, 0.5), services.prune_decision(a.pk)),
            )
            timed("heartbeat", services.heartbeat, attempt.pk)
            timed("finish", lambda a=attempt: services.finish_attempt(a.pk, complete, schedule=False))
            done += 1
        timed("schedule", services.schedule_trials, study.pk)
    n = args.trials
    return {
        "optimizer": args.optimizer,
        "database": connection.vendor,
        "workers": args.workers,
        "batch": args.batch,
        "trials": n,
        "worker_ms": {p: round(1000 * cpu[p] / n, 2) for p in PHASES},
        "database_ms": {p: round(1000 * pg[p] / n, 2) for p in PHASES},
        "job_host_ms": {k: round(1000 * v / n, 2) for k, v in hosts.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", default="random")
    parser.add_argument("--workers", type=int, default=64, help="the study's max_parallel")
    parser.add_argument("--batch", type=int, default=8, help="results per scheduling step")
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--warm", type=int, default=100, help="trials before measuring")
    parser.add_argument("--postgres", help="postgres://... server URL; a database hpoweb_trial_cpu is made")
    args = parser.parse_args()
    url = None
    if args.postgres:
        recreate_database("hpoweb_trial_cpu")
        url = f"{args.postgres.rstrip('/')}/hpoweb_trial_cpu"
    setup_scratch_django(tempfile.mkdtemp(prefix="hpoweb-trial-cpu-"), url)
    print(json.dumps(measure(args)))


if __name__ == "__main__":
    main()
