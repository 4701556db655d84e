"""High-dimensional benchmark: 20 and 50 parameters of which only a few matter.

Real studies often tune 20-50 parameters while a handful decide the loss. Each problem here is a
classic function on a few active coordinates of a d-dimensional unit box (every parameter a float on
[0, 1]); which coordinates are active is drawn from the run's seed (a random, fixed embedding), so no
optimizer gains from the order of the parameters:

- branin: Branin on 2 active coordinates (mapped to its box [-5, 10] x [0, 15]), 100 trials;
- hartmann6: Hartmann-6 on 6 active coordinates, 100 trials;
- stybtang4: a sum of 4 one-dimensional Styblinski-Tang terms (each with two local minima, on
  [-5, 5]), 100 trials.

The regret is the best value found minus the known optimum; "s / suggestion" the median time of one
suggestion. hpoweb's optimizers run sequentially (n=1); Optuna's samplers at their defaults through
ask/tell, as in benchmarks/optimizers.py. A problem named `NAME:TRIALS` (`hartmann6:200`) runs that many
trials instead of its budget; its rows are apart from the 100-trial ones.

    python benchmarks/high_dim.py [--seeds 10] [--dims 20,50] [--problems branin,hartmann6,stybtang4]
        [--optimizers gp,tpe,optuna_gp,optuna_tpe,optuna_cmaes] [--out results.jsonl]
    python benchmarks/high_dim.py --tables results.jsonl   # tables from saved runs only
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.optimizers import problems_module, run_hpoweb, run_optuna  # noqa: E402
from benchmarks.runs import grid_benchmark  # noqa: E402

_PUBLIC = problems_module()  # Branin and Hartmann-6 as the public problems define them

OPTIMIZERS = ["gp", "tpe", "optuna_gp", "optuna_tpe", "optuna_cmaes"]
BUDGETS = {"branin": 100, "hartmann6": 100, "stybtang4": 100}

_ST_MIN_X = -2.903534027771177  # the global minimum of one Styblinski-Tang term


def _branin(u: np.ndarray) -> float:
    return _PUBLIC.branin({"x1": -5.0 + 15.0 * u[0], "x2": 15.0 * u[1]})


def _hartmann6(u: np.ndarray) -> float:
    return _PUBLIC.hartmann6({f"x{i + 1}": x for i, x in enumerate(u)})


def _stybtang(u: np.ndarray) -> float:
    x = -5.0 + 10.0 * u
    return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2)


_ACTIVE = {
    "branin": (2, _branin, 0.397887357729739),
    "hartmann6": (6, _hartmann6, -3.32236801141551),
    "stybtang4": (4, _stybtang, 4 * (_ST_MIN_X**4 - 16 * _ST_MIN_X**2 + 5 * _ST_MIN_X) / 2),
}


def make_problem(name: str, d: int, seed: int) -> tuple[dict, Callable[[dict], float], float, int]:
    """(space, objective, optimum, budget) of `name` (`NAME` or `NAME:TRIALS`) embedded in d dimensions,
    its active coordinates drawn from `seed`."""
    name, _, trials = name.partition(":")
    k, inner, optimum = _ACTIVE[name]
    names = [f"x{i:02d}" for i in range(d)]
    active = [names[i] for i in np.random.default_rng([d, seed, 61]).choice(d, size=k, replace=False)]

    def f(params: dict) -> float:
        return inner(np.array([params[n] for n in active], dtype=float))

    space = {n: {"type": "float", "low": 0.0, "high": 1.0} for n in names}
    return space, f, optimum, int(trials) if trials else BUDGETS[name]


def run_one(task: tuple[str, str, int, int]) -> tuple[str, str, int, int, float, float]:
    """(problem, optimizer, d, seed, final simple regret, median seconds per suggestion)."""
    problem, optimizer, d, seed = task
    spec, f, optimum, budget = make_problem(problem, d, seed)
    warnings.filterwarnings("ignore")
    runner = run_optuna if optimizer.startswith("optuna_") else run_hpoweb
    losses, times = runner(optimizer, spec, f, budget, seed)
    return problem, optimizer, d, seed, float(min(losses) - optimum), float(np.median(times))


def tables(results: list, problems: list[str], optimizers: list[str]) -> str:
    n_seeds = len({r[3] for r in results})
    out = [
        f"({n_seeds} seeds; final simple regret, median and quartiles; seconds: median per suggestion)\n",
        "| problem | d | optimizer | seeds | median regret | 25 % – 75 % | s / suggestion |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for p in problems:
        for d in sorted({r[2] for r in results}):
            rows = {o: [r for r in results if r[:3] == (p, o, d)] for o in optimizers}
            rows = {o: mine for o, mine in rows.items() if mine}
            for o in sorted(rows, key=lambda o: np.median([r[4] for r in rows[o]])):
                q1, q2, q3 = np.percentile([r[4] for r in rows[o]], [25, 50, 75])
                secs = np.median([r[5] for r in rows[o]])
                cells = f"{len(rows[o])} | {q2:.3g} | {q1:.3g} – {q3:.3g} | {secs:.3f}"
                out.append(f"| {p} | {d} | {o} | {cells} |")
    return "\n".join(out)


if __name__ == "__main__":
    grid_benchmark(
        __doc__,
        ("dims", "20,50", int, "numbers of parameters"),
        OPTIMIZERS,
        run_one,
        tables,
        all_problems=list(_ACTIVE),
    )
