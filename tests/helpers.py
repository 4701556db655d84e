"""Builders shared by test modules: a study form's POST data, an API study body, API clients."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from django.db.backends.utils import CursorWrapper
from rest_framework.test import APIClient

from studies import services
from studies.models import ApiToken, Study
from studies.services import Outcome, WorkerIdentity
from tests.harness import ROOT

SHARED_BENCH = ROOT.parent / "shared" / "bench" / "problems.py"


def shared_bench() -> ModuleType:
    """../shared/bench/problems.py (the public benchmark problems), loaded by path."""
    spec = importlib.util.spec_from_file_location("shared_problems", SHARED_BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The smallest valid POST /api/studies/ body (branin's space, random search).
STUDY_BODY = {
    "name": "api-study",
    "job": "branin",
    "direction": "minimize",
    "metric": "loss",
    "optimizer": "random",
    "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}},
    "max_trials": 5,
    "max_parallel": 2,
}


def study_form(**overrides) -> dict:
    """The study form's POST data for branin with random search; `overrides` replace fields."""
    data = {
        "name": "digits-random",
        "description": "",
        "job": "branin",
        "job_settings": "{}",
        "direction": "minimize",
        "metric": "loss",
        "optimizer": "random",
        "seed": "0",
        "pruner": "none",
        "max_trials": "20",
        "max_parallel": "2",
        "max_retries": "1",
        "max_consecutive_failures": "5",
        "trial_timeout_s": "",
        "param-TOTAL_FORMS": "2",
        "param-INITIAL_FORMS": "0",
        "param-MIN_NUM_FORMS": "1",
        "param-MAX_NUM_FORMS": "64",
        "param-0-name": "x1",
        "param-0-type": "float",
        "param-0-low": "-5",
        "param-0-high": "10",
        "param-1-name": "x2",
        "param-1-type": "float",
        "param-1-low": "0",
        "param-1-high": "15",
    }
    data.update(overrides)
    return data


def token_client(user) -> APIClient:
    """An API client that authenticates as `user` with a real token, as a script would."""
    _token, key = ApiToken.issue(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def run_trials(study: Study, values: list[float | dict | None], curve_steps: int = 3) -> Study:
    """Run `study`'s trials through the real services: claim, learning curve, finish (None fails; a
    dict is every metric of a study with objectives)."""
    study.set_state("running")
    for trial_id, value in zip(services.schedule_trials(study.pk), values, strict=False):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w1"))
        first = next(iter(value.values())) if isinstance(value, dict) else value
        for step in range(curve_steps):
            services.record_metric(attempt.pk, step, (first or 1.0) + curve_steps - step)
        if value is None:
            services.finish_attempt(attempt.pk, Outcome("failed", reason="=cmd|' /C calc'!A0"))
        elif isinstance(value, dict):
            services.finish_attempt(attempt.pk, Outcome("complete", values=value))
        else:
            services.finish_attempt(attempt.pk, Outcome("complete", value=value))
    study.refresh_from_db()
    return study


TWO_OBJECTIVES = [
    {"metric": "error", "direction": "minimize"},
    {"metric": "latency", "direction": "minimize"},
]
MEMORY_LIMIT = [{"metric": "memory", "max": 8.0}]


def two_objective_study(make_study, results: list[dict], **fields) -> Study:
    """A random-search study of `error` and `latency` under `memory <= 8`, whose trials 1, 2, ...
    finished through the real services with `results` (each a {metric: value} dict, in order)."""
    fields = {
        "name": "trade-off",
        "job": "external",
        "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "objectives": TWO_OBJECTIVES,
        "constraints": MEMORY_LIMIT,
        "metric": "error",
        "max_trials": len(results),
        "max_parallel": len(results),
        **fields,
    }
    study = make_study(**fields)
    study.set_state("running")
    for trial_id, values in zip(services.schedule_trials(study.pk), results, strict=True):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w1"))
        services.finish_attempt(attempt.pk, Outcome("complete", values=values), schedule=False)
    study.refresh_from_db()
    return study


MAX_PAGE_BYTES = 1_000_000


def assert_bounded(client, url: str, query: dict, max_queries: int, assert_max_num_queries) -> None:
    """A page or endpoint of a big study answers in at most `max_queries` queries (however many trials)
    and under 1 MB; its time is measured by benchmarks/dashboard_speed.py, not here (a timed test on a
    shared machine fails at random)."""
    client.get(url, query)  # warm-up: templates compiled, connection open
    with assert_max_num_queries(max_queries):
        response = client.get(url, query)
    assert response.status_code == 200, (url, query)
    assert len(response.content) < MAX_PAGE_BYTES, (url, len(response.content))


@contextmanager
def rows_read() -> Iterator[list[int]]:
    """Counts the rows every query fetches while the block runs (`counted[0]`): a guard that a read
    stays bounded as the study grows, where the number of queries alone would not show it."""
    counted = [0]
    original = {name: getattr(CursorWrapper, name, None) for name in ("fetchone", "fetchmany", "fetchall")}

    def fetchone(self):
        row = self.cursor.fetchone()
        counted[0] += row is not None
        return row

    def fetchmany(self, *args):
        rows = self.cursor.fetchmany(*args)
        counted[0] += len(rows)
        return rows

    def fetchall(self):
        rows = self.cursor.fetchall()
        counted[0] += len(rows)
        return rows

    CursorWrapper.fetchone, CursorWrapper.fetchmany, CursorWrapper.fetchall = fetchone, fetchmany, fetchall
    try:
        yield counted
    finally:
        for name, method in original.items():
            if method is None:
                delattr(CursorWrapper, name)
            else:
                setattr(CursorWrapper, name, method)


# A W&B project's runs table as "Export as CSV" writes it: a finished, a crashed and a running run,
# config columns (lr, batch_size, optimizer) and summary metrics (val_loss, accuracy).
WANDB_SPACE = {
    "lr": {"type": "float", "low": 0.0001, "high": 1.0, "log": True},
    "batch_size": {"type": "int", "low": 16, "high": 256},
    "optimizer": {"type": "categorical", "choices": ["adam", "sgd", "=1+1"]},
}
WANDB_RUNS = """\
Name,State,Notes,User,Tags,Created,Runtime,Sweep,lr,batch_size,optimizer,val_loss,accuracy
dazzling-sun-5,finished,-,ada,baseline,2026-11-01T10:00:00.000Z,300,abc123,0.01,64,adam,0.42,0.88
misty-river-4,crashed,OOM at epoch 3,ada,,2026-11-01T09:00:00.000Z,60,abc123,0.1,256,sgd,,
brave-moon-6,running,-,ada,,2026-11-01T11:00:00.000Z,20,abc123,0.001,32,adam,0.9,0.5
eager-wind-3,finished,=cmd|' /C calc'!A0,ada,,2026-11-01T08:00:00.000Z,120.5,abc123,0.3,128,=1+1,0.35,0.91
"""


def wandb_study(make_study, **fields) -> Study:
    """An external study of `WANDB_SPACE` judged by val_loss, for W&B runs to be imported into."""
    fields = {"name": "from-wandb", "job": "external", "space": WANDB_SPACE, "metric": "val_loss", **fields}
    return make_study(**fields)
