"""A finished demo study written with bulk inserts, so a newcomer sees a full dashboard at once.

The study runs the `mlp_surrogate` job's 6-parameter space; values come from its objective plus
noise, curves converge towards them, and a few trials fail (after a retried attempt) or are pruned
early, so every plot has something to show. Benchmarks use it for data (benchmarks/dashboard_speed.py,
benchmarks/scale.py, up to a million trials): trials are written in chunks of `CHUNK`, each chunk's
trials, attempts and curves in one transaction, so memory stays flat whatever the study's size.
With `objectives`, the study trades the loss against a latency under a memory limit (made up from
the network's size), for the pages of a study with several objectives.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from studies import services
from studies.jobs.builtins import SPACES, mlp_surrogate
from studies.models import Attempt, Project, Study, StudySummary, Trial, TrialMetric
from studies.optimizers import SearchSpace

CHUNK = 5000
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
    project, _ = Project.objects.get_or_create(name="Demo")
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
    start = timezone.now() - timedelta(seconds=3 * n_trials / N_WORKERS + 60)
    busy_until = [start] * N_WORKERS
    for first in range(1, n_trials + 1, CHUNK):
        points = space.decode(rng.random((min(CHUNK, n_trials + 1 - first), len(space))))
        with transaction.atomic():
            trials = _bulk_trials(study, first, points, steps, rng, busy_until)
            _bulk_attempts_and_curves(study, trials)
    _analyze(Trial, Attempt, TrialMetric)
    with transaction.atomic():
        StudySummary.recount(study)
        study.set_state(Study.State.COMPLETED, f"demo data: {n_trials} trials")
    return study


def _analyze(*models_written) -> None:
    """PostgreSQL's planner statistics for the tables just filled, as autovacuum would gather them
    later: until then it takes a million rows for a few and reads a study's trials in full where
    an index gives the best ones in milliseconds."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(
                "ANALYZE " + ", ".join(db.ops.quote_name(m._meta.db_table) for m in models_written)
            )


def _bulk_trials(
    study: Study,
    first: int,
    points: list[dict],
    steps: int,
    rng: np.random.Generator,
    busy_until: list[datetime],
) -> list[SimpleNamespace]:
    """Trials numbered from `first`, each worker's after its previous one (`busy_until` moves on)."""
    trials = []
    for number, params in enumerate(points, start=first):
        final = mlp_surrogate(params) + 0.02 * float(rng.standard_normal())
        roll = rng.random()
        state = (
            Trial.State.FAILED
            if roll < 0.02
            else Trial.State.PRUNED
            if roll < 0.12 and steps and not study.objectives
            else Trial.State.COMPLETE
        )
        worker = number % N_WORKERS
        began = busy_until[worker] + timedelta(seconds=float(rng.uniform(0.05, 0.5)))
        ended = began + timedelta(seconds=float(rng.uniform(1.0, 8.0)))
        busy_until[worker] = ended
        n_steps = 0 if state == Trial.State.FAILED else steps if state == "complete" else max(1, steps // 3)
        curve = _curve(final, steps)[:n_steps]
        values, feasible = (
            _demo_values(params, final) if study.objectives and state == "complete" else (None, None)
        )
        trials.append(
            SimpleNamespace(
                number=number,
                params=params,
                state=state,
                value=None if state == Trial.State.FAILED else final if state == "complete" else curve[-1],
                values=values,
                feasible=feasible,
                started=began,
                finished=ended,
                worker=f"w{worker + 1}@demo",
                n_attempts=2 if state == Trial.State.FAILED else 1,
                error="attempt 2/2 failed: RuntimeError: simulated training failure"
                if state == "failed"
                else "",
                curve=curve,
            )
        )
    fields = ("number", "params", "state", "value", "values", "feasible", "started", "finished", "worker")
    fields += ("n_attempts", "error")
    rows = [
        (study.pk, t.started, t.started, *(getattr(t, f) for f in fields), {"phase": "random"}, "")
        for t in trials
    ]
    _insert(Trial, ("study", "created", "enqueued", *fields, "suggestion", "note"), rows)
    ids = dict(study.trials.filter(number__range=(first, trials[-1].number)).values_list("number", "pk"))
    for t in trials:
        t.pk = ids[t.number]
    return trials


def _demo_values(params: dict, loss: float) -> tuple[dict, bool]:
    """A loss, a latency that grows with the network's size, and memory that breaks the limit when large."""
    size = params["layers"] * params["units"]
    values = {"loss": loss, "latency_ms": round(0.5 + size / 200, 3), "memory_gb": round(size / 800, 3)}
    return values, values["memory_gb"] <= CONSTRAINTS[0]["max"]


def _bulk_attempts_and_curves(study: Study, trials: list[SimpleNamespace]) -> None:
    """Each trial's attempts (a failed one before a failed trial's last), its last attempt linked
    by one UPDATE for the chunk, and the last attempt's curve."""
    rows = [
        (t.pk, n, t.state if n == t.n_attempts else Attempt.State.FAILED, t.worker, "demo", 1000 + n)
        + (t.started, t.finished, t.finished, t.error)
        for t in trials
        for n in range(1, t.n_attempts + 1)
    ]
    fields = ("trial", "number", "state", "worker", "host", "pid", "claimed", "heartbeat", "ended", "reason")
    _insert(Attempt, fields, rows)
    chunk = study.trials.filter(number__range=(trials[0].number, trials[-1].number))
    last = Attempt.objects.filter(trial=models.OuterRef("pk")).order_by("-number").values("pk")[:1]
    chunk.update(attempt_id=models.Subquery(last))
    attempt_of = dict(chunk.values_list("pk", "attempt_id"))
    points = [(t.pk, attempt_of[t.pk], s, v) for t in trials for s, v in enumerate(t.curve, start=1)]
    _insert(TrialMetric, ("trial", "attempt", "step", "value"), points)


def _insert(model, field_names: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows of plain values through one `executemany` (COPY on PostgreSQL): several times cheaper per row than
    `bulk_create`'s model instances, which counts at a million trials. Only JSON and times need
    the database's form; every other value goes as it is."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = [model._meta.get_field(name) for name in field_names]
    converted = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField | models.DateTimeField)]
    prepared = []
    for row in rows:
        row = list(row)
        for i in converted:
            row[i] = fields[i].get_db_prep_save(row[i], db)
        prepared.append(row)
    columns = ", ".join(db.ops.quote_name(field.column) for field in fields)
    table = db.ops.quote_name(model._meta.db_table)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":  # COPY: several times faster again than executemany
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", prepared
            )
