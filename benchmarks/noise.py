"""Noisy-objective benchmark: the regret of the trial each optimizer would recommend, on noiseless values.

Every public problem (../shared/bench/problems.py, never tuned to) observed with Gaussian noise whose
standard deviation is 1 % or 10 % of the problem's typical gap, the median over 1,024 Sobol points of
f - f(optimum): a noise that is small or large next to what separates a good trial from a typical
one. Each run is sequential (n=1) at the problem's trial budget; at the end the optimizer's recommended
trial (hpoweb: `Optimizer.recommend`; Optuna: `study.best_trial`, the lowest observed value, as it has
no other) is scored by its noiseless value. "gp lowest" is hpoweb gp's own run scored by its lowest
observed trial instead, to show what recommending by posterior mean is worth.

    python benchmarks/noise.py [--seeds 20] [--noise 0.01,0.1] [--problems branin,hartmann6]
        [--optimizers gp,tpe,optuna_gp,optuna_tpe] [--out results.jsonl]
    python benchmarks/noise.py --tables results.jsonl   # tables from saved runs only
"""

from __future__ import annotations

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
from studies.optimizers.random_search import sobol_points  # noqa: E402

OPTIMIZERS = ["gp", "tpe", "optuna_gp", "optuna_tpe"]
_GAP_POINTS = 1024


def typical_gap(spec: dict, f: Callable, optimum: float) -> float:
    """Median of f - optimum over Sobol points of the box: the scale the noise is a fraction of."""
    space = SearchSpace.from_dict(spec)
    points = space.decode(sobol_points(len(space), 0, 0, _GAP_POINTS))
    return float(np.median([f(p) for p in points]) - optimum)


def run_hpoweb(label: str, spec: dict, noisy: Callable, budget: int, seed: int) -> tuple[list, int, int]:
    """(history, recommended index, lowest observed index) of one sequential run."""
    name, settings = parse_label(label)
    opt = get_optimizer(name, SearchSpace.from_dict(spec), seed=seed, **settings)
    history: list[tuple[dict, float]] = []
    while len(history) < budget:
        history += [(p, noisy(p)) for p in opt.suggest(history=history)]
    lowest = int(np.argmin([v for _, v in history]))
    return history, opt.recommend(history).index, lowest


def run_optuna(kind: str, spec: dict, noisy: Callable, budget: int, seed: int) -> tuple[list, int, int]:
    import optuna
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = {"optuna_gp": optuna.samplers.GPSampler, "optuna_tpe": optuna.samplers.TPESampler}[kind]
    study = optuna.create_study(sampler=sampler(seed=seed), direction="minimize")
    dists = optuna_distributions(spec)
    history = []
    for _ in range(budget):
        trial = study.ask(dists)
        value = noisy(trial.params)
        study.tell(trial, value)
        history.append((trial.params, value))
    return history, study.best_trial.number, study.best_trial.number


def run_one(task: tuple[str, str, float, int]) -> tuple[str, str, float, int, float, float]:
    """(problem, optimizer, noise fraction, seed, regret of the recommended, of the lowest observed)."""
    problem, optimizer, fraction, seed = task
    spec, f, optimum, budget = load_problems()[problem]
    sd = fraction * typical_gap(spec, f, optimum)
    rng = np.random.default_rng([seed, 17])

    def noisy(p: dict) -> float:
        return f(p) + sd * float(rng.standard_normal())

    warnings.filterwarnings("ignore")
    runner = run_optuna if optimizer.startswith("optuna_") else run_hpoweb
    history, recommended, lowest = runner(optimizer, spec, noisy, budget, seed)
    regret = [float(f(history[i][0]) - optimum) for i in (recommended, lowest)]
    return problem, optimizer, fraction, seed, regret[0], regret[1]


def _quartiles(values: list[float]) -> str:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return f"{q2:.3g} | {q1:.3g} – {q3:.3g}"


def tables(results: list, problems: list[str], optimizers: list[str]) -> str:
    out = []
    for fraction in sorted({r[2] for r in results}):
        n_seeds = len({r[3] for r in results if r[2] == fraction})
        out += [
            f"\n**noise {fraction:.0%} of the typical gap** ({n_seeds} seeds; regret of the noiseless "
            "value of the recommended trial; `gp lowest`: gp's runs scored by their lowest observed trial)\n",
            "| problem | optimizer | median regret | 25 % – 75 % |",
            "|---|---|---:|---:|",
        ]
        for p in problems:
            rows = {}
            for o in optimizers:
                mine = [r for r in results if r[0] == p and r[1] == o and r[2] == fraction]
                if mine:
                    rows[o] = [r[4] for r in mine]
                    if o == "gp":
                        rows["gp lowest"] = [r[5] for r in mine]
            for o in sorted(rows, key=lambda o: np.median(rows[o])):
                out.append(f"| {p} | {o} | {_quartiles(rows[o])} |")
    return "\n".join(out)


if __name__ == "__main__":
    grid_benchmark(
        __doc__,
        ("noise", "0.01,0.1", float, "noise sd as fractions of the typical gap"),
        OPTIMIZERS,
        run_one,
        tables,
    )
