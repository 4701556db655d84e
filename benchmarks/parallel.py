"""Parallel-workers benchmark: regret after the same number of trials with q = 1, 4 and 16 trials at once.

Pending points as a study has them: q trials start; each runs for a random duration (exponential, mean
1, seeded per run); when one finishes its value is told and the optimizer proposes one new trial while
the other q - 1 still run (hpoweb: `suggest(history, pending=running)`, the way the scheduler calls it,
n = q at the start; Optuna: `ask` with the running trials in the study, TPE with its constant liar). The
regret is that of the best trial after the problem's budget, every public problem of
../shared/bench/problems.py (never tuned to).

    python benchmarks/parallel.py [--seeds 20] [--q 1,4,16] [--problems branin,hartmann6]
        [--optimizers gp,optuna_gp,optuna_tpe] [--out results.jsonl]
    python benchmarks/parallel.py --tables results.jsonl
"""

from __future__ import annotations

import heapq
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.optimizers import load_problems, optuna_distributions, parse_label  # noqa: E402
from benchmarks.runs import grid_benchmark  # noqa: E402
from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402

OPTIMIZERS = ["gp", "optuna_gp", "optuna_tpe"]


class Workers:
    """q workers finishing trials after seeded random durations: the order results come back in."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 29])
        self.now, self.running, self.count = 0.0, [], 0

    def start(self, payload) -> None:
        self.count += 1
        heapq.heappush(self.running, (self.now + self.rng.exponential(), self.count, payload))

    def finish_next(self):
        self.now, _, payload = heapq.heappop(self.running)
        return payload

    def pending(self) -> list:
        return [payload for *_, payload in self.running]


def run_hpoweb(label: str, spec: dict, f: Callable, budget: int, seed: int, q: int) -> list[float]:
    name, settings = parse_label(label)
    opt = get_optimizer(name, SearchSpace.from_dict(spec), seed=seed, **settings)
    workers, history = Workers(seed), []
    for params in opt.suggest(history=[], n=min(q, budget)):
        workers.start(params)
    while len(history) < budget:
        params = workers.finish_next()
        history.append((params, f(params)))
        if len(history) + len(workers.running) < budget:
            workers.start(opt.suggest(history=history, pending=workers.pending())[0])
    return [v for _, v in history]


def run_optuna(kind: str, spec: dict, f: Callable, budget: int, seed: int, q: int) -> list[float]:
    import optuna
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = {
        "optuna_gp": lambda: optuna.samplers.GPSampler(seed=seed),
        "optuna_tpe": lambda: optuna.samplers.TPESampler(seed=seed, constant_liar=True),
    }[kind]()
    study = optuna.create_study(sampler=sampler, direction="minimize")
    dists = optuna_distributions(spec)
    workers, values = Workers(seed), []
    for _ in range(min(q, budget)):
        workers.start(study.ask(dists))
    while len(values) < budget:
        trial = workers.finish_next()
        values.append(f(trial.params))
        study.tell(trial, values[-1])
        if len(values) + len(workers.running) < budget:
            workers.start(study.ask(dists))
    return values


def run_one(task: tuple[str, str, int, int]) -> tuple[str, str, int, int, float]:
    """(problem, optimizer, q, seed, final simple regret)."""
    problem, optimizer, q, seed = task
    spec, f, optimum, budget = load_problems()[problem]
    warnings.filterwarnings("ignore")
    runner = run_optuna if optimizer.startswith("optuna_") else run_hpoweb
    return problem, optimizer, q, seed, float(min(runner(optimizer, spec, f, budget, seed, q)) - optimum)


def tables(results: list, problems: list[str], optimizers: list[str]) -> str:
    qs = sorted({r[2] for r in results})
    n_seeds = len({r[3] for r in results})
    head = " | ".join(f"q={q} median (25 % – 75 %)" for q in qs)
    out = [
        f"({n_seeds} seeds; final simple regret; the last column: median at the largest q over the "
        "same optimizer's median at q=1)\n",
        f"| problem | optimizer | {head} | ratio |",
        "|---|---|" + "---:|" * (len(qs) + 1),
    ]
    for p in problems:
        for o in optimizers:
            cells, medians = [], {}
            for q in qs:
                mine = [r[4] for r in results if r[0] == p and r[1] == o and r[2] == q]
                if not mine:
                    cells.append("—")
                    continue
                q1, medians[q], q3 = np.percentile(mine, [25, 50, 75])
                cells.append(f"{medians[q]:.3g} ({q1:.3g} – {q3:.3g})")
            top = max(medians, default=None)
            ratio = (
                f"{medians[top] / medians[1]:.2f}" if 1 in medians and top != 1 and medians[1] > 0 else "—"
            )
            out.append(f"| {p} | {o} | {' | '.join(cells)} | {ratio} |")
    return "\n".join(out)


if __name__ == "__main__":
    grid_benchmark(__doc__, ("q", "1,4,16", int, "trials running at once"), OPTIMIZERS, run_one, tables)
