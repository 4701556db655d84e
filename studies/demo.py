"""A finished demo study written with bulk inserts, so a newcomer sees a full dashboard at once.

The study runs the `mlp_surrogate` job's 6-parameter space; values come from its objective plus
noise, curves converge towards them, and a few trials fail (after a retried attempt) or are pruned
early, so every plot has something to show. Benchmarks use it for data (benchmarks/dashboard_speed.py).
With `objectives`, the study trades the loss against a latency under a memory limit (made up from
the network's size), for the pages of a study with several objectives.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from studies import services
from studies.jobs.builtins import SPACES, mlp_surrogate
from studies.models import Attempt, Project, Study, StudySummary, Trial, TrialMetric
from studies.optimizers import SearchSpace

BATCH = 2000
N_WORKERS = 4
OBJECTIVES = [{"metric": "loss", "direction": "minimize"}, {"metric": "latency_ms", "direction": "minimize"}]
CONSTRAINTS = [{"metric": "memory_gb", "max": 6.0}]


def _curve(final: float, steps: int) -> list[float]:
    """The same converging shape the built-in jobs report."""
    return [
        final + (abs(final) + 1.0) * math.exp(-4.0 * s / steps) * (1 - s / steps) for s in range(1, steps + 1)
    ]


def create_demo_study(
    owner, n_trials: int, steps: int, name: str = "demo", seed: int = 0, objectives: bool = False
) -> Study:
    """A completed study of `n_trials` trials with `steps` learning-curve points each."""
    rng = np.random.default_rng(seed)
    space = SearchSpace.from_dict(SPACES["mlp_surrogate"])
    points = space.decode(rng.random((n_trials, len(space))))
    project, _ = Project.objects.get_or_create(name="Demo")
    with transaction.atomic():
        study = services.create_study(
            owner,
            space.to_dict(),
            {
                "name": name,
                "project": project,
                "job": "mlp_surrogate",
                "optimizer": "random",
                "max_trials": n_trials,
                "max_parallel": N_WORKERS,
                "seed": seed,
                "job_settings": {"steps": steps},
                "pruner": "median" if steps and not objectives else "none",
                **({"objectives": OBJECTIVES, "constraints": CONSTRAINTS} if objectives else {}),
            },
        )
        trials = _bulk_trials(study, points, steps, rng)
        StudySummary.recount(study)
        study.set_state(Study.State.COMPLETED, f"demo data: {n_trials} trials")
    _bulk_attempts_and_curves(trials, steps)
    return study


def _bulk_trials(study: Study, points: list[dict], steps: int, rng: np.random.Generator) -> list[Trial]:
    start = timezone.now() - timedelta(seconds=3 * len(points) / N_WORKERS + 60)
    busy_until = [start] * N_WORKERS
    trials = []
    for number, params in enumerate(points, start=1):
        final = mlp_surrogate(params) + 0.02 * float(rng.standard_normal())
        roll = rng.random()
        state = (
            Trial.State.FAILED
            if roll < 0.02
            else Trial.State.PRUNED
            if roll < 0.12 and steps and not study.objectives
            else "complete"
        )
        worker = number % N_WORKERS
        began = busy_until[worker] + timedelta(seconds=float(rng.uniform(0.05, 0.5)))
        ended = began + timedelta(seconds=float(rng.uniform(1.0, 8.0)))
        busy_until[worker] = ended
        n_steps = 0 if state == Trial.State.FAILED else steps if state == "complete" else max(1, steps // 3)
        curve = _curve(final, steps)[:n_steps]
        trial = Trial(
            study=study,
            number=number,
            params=params,
            state=state,
            started=began,
            finished=ended,
            enqueued=began,
            worker=f"w{worker + 1}@demo",
            n_attempts=2 if state == Trial.State.FAILED else 1,
            value=None if state == Trial.State.FAILED else final if state == "complete" else curve[-1],
            error="attempt 2/2 failed: RuntimeError: simulated training failure" if state == "failed" else "",
            suggestion={"phase": "random"},
        )
        if study.objectives and state == "complete":
            trial.values, trial.feasible = _demo_values(params, final)
        trial.demo_curve = curve
        trials.append(trial)
    created = []
    for i in range(0, len(trials), BATCH):
        created += Trial.objects.bulk_create(trials[i : i + BATCH])
    for made, planned in zip(created, trials, strict=True):
        made.demo_curve = planned.demo_curve
    return created


def _demo_values(params: dict, loss: float) -> tuple[dict, bool]:
    """A loss, a latency that grows with the network's size, and memory that breaks the limit when large."""
    size = params["layers"] * params["units"]
    values = {"loss": loss, "latency_ms": round(0.5 + size / 200, 3), "memory_gb": round(size / 800, 3)}
    return values, values["memory_gb"] <= CONSTRAINTS[0]["max"]


def _bulk_attempts_and_curves(trials: list[Trial], steps: int) -> None:
    attempts = []
    for t in trials:
        final_state = {"complete": "complete", "pruned": "pruned", "failed": "failed"}[t.state]
        for n in range(1, t.n_attempts + 1):
            attempts.append(
                Attempt(
                    trial=t,
                    number=n,
                    state=final_state if n == t.n_attempts else Attempt.State.FAILED,
                    worker=t.worker,
                    host="demo",
                    pid=1000 + n,
                    claimed=t.started,
                    heartbeat=t.finished,
                    ended=t.finished,
                    reason=t.error,
                )
            )
    with transaction.atomic():
        for i in range(0, len(attempts), BATCH):
            Attempt.objects.bulk_create(attempts[i : i + BATCH])
        last = {a.trial_id: a.pk for a in attempts}
        for t in trials:
            t.attempt_id = last[t.pk]
        for i in range(0, len(trials), BATCH):
            Trial.objects.bulk_update(trials[i : i + BATCH], ["attempt"])
        metrics = (
            TrialMetric(trial_id=t.pk, attempt_id=t.attempt_id, step=s, value=v)
            for t in trials
            for s, v in enumerate(t.demo_curve, start=1)
        )
        batch = []
        for metric in metrics:
            batch.append(metric)
            if len(batch) == BATCH * 5:
                TrialMetric.objects.bulk_create(batch)
                batch = []
        TrialMetric.objects.bulk_create(batch)
