"""Multi-objective benchmark: hpoweb's optimizers against Optuna's NSGAIISampler, TPESampler and GPSampler.

Problems: `mo_problems()` of ../shared/bench/problems.py (imported by path, never tuned to) and two
that hpoweb's optimizers were never run on while they were written (ZDT2, a concave front, and
Binh-Korn, two objectives under two constraints). Each optimizer runs each problem at its trial
budget, sequentially, on the same seeds; the score is the hypervolume regret of the feasible Pareto
front (the problem's best hypervolume minus the front's), or for a single objective under
constraints the best feasible value's regret. Prints per problem the median regret and the median
seconds per suggestion; `--out` appends every run as JSON lines.

    python benchmarks/multi_objective.py                      # the full table: 10 seeds
    python benchmarks/multi_objective.py --seeds 2 --problems zdt1 --optimizers gp,optuna_gp
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402
from studies.optimizers.pareto import hypervolume, objective_losses, pareto_mask, violations  # noqa: E402

PROBLEMS_PATH = ROOT.parent / "shared" / "bench" / "problems.py"
OPTIMIZERS = ["gp", "nsga2", "random", "optuna_nsga2", "optuna_tpe", "optuna_gp"]

# (space, evaluate, objectives [(metric, direction)], constraints [(metric, max)], reference, best, budget)
Problem = tuple[dict, Callable[[dict], dict], list, list, tuple | None, float, int]


def _unit(names: list[str]) -> dict:
    return {n: {"type": "float", "low": 0.0, "high": 1.0, "log": False} for n in names}


def zdt2(p: dict) -> dict:
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    g = 1 + 9 * np.sum(x[1:]) / 5
    return {"f1": float(x[0]), "f2": float(g * (1 - (x[0] / g) ** 2))}


def binh_korn(p: dict) -> dict:
    x1, x2 = p["x1"], p["x2"]
    return {
        "f1": 4 * x1**2 + 4 * x2**2,
        "f2": (x1 - 5) ** 2 + (x2 - 5) ** 2,
        "c1": (x1 - 5) ** 2 + x2**2 - 25,
        "c2": 7.7 - (x1 - 8) ** 2 - (x2 + 3) ** 2,
    }


def _front_hypervolume(space: dict, f: Callable, objectives: list, constraints: list, ref: tuple) -> float:
    """The best hypervolume of a problem without a closed form, from a dense grid (once per run)."""
    names = list(space)
    axes = [np.linspace(space[n]["low"], space[n]["high"], 401) for n in names]
    grid = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, len(names))
    results = [f(dict(zip(names, map(float, row), strict=True))) for row in grid]
    return _hypervolume(objectives, constraints, results, ref)


def unseen_problems() -> dict[str, Problem]:
    min2 = [("f1", "minimize"), ("f2", "minimize")]
    bnh_space = {
        "x1": {"type": "float", "low": 0.0, "high": 5.0, "log": False},
        "x2": {"type": "float", "low": 0.0, "high": 3.0, "log": False},
    }
    bnh_constraints = [("c1", 0.0), ("c2", 0.0)]
    bnh_best = _front_hypervolume(bnh_space, binh_korn, min2, bnh_constraints, (140.0, 50.0))
    return {
        "zdt2": (_unit([f"x{i}" for i in range(1, 7)]), zdt2, min2, [], (11.0, 11.0), 121 - 2 / 3, 60),
        "binh_korn": (bnh_space, binh_korn, min2, bnh_constraints, (140.0, 50.0), bnh_best, 60),
    }


def load_problems() -> dict[str, Problem]:
    spec = importlib.util.spec_from_file_location("bench_problems", PROBLEMS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {**module.mo_problems(), **unseen_problems()}


def _definitions(objectives: list, constraints: list) -> tuple[list[dict], list[dict]]:
    return (
        [{"metric": m, "direction": d} for m, d in objectives],
        [{"metric": m, "max": bound} for m, bound in constraints],
    )


def _hypervolume(objectives: list, constraints: list, results: list[dict], ref: tuple) -> float:
    objs, cons = _definitions(objectives, constraints)
    losses, violation = objective_losses(objs, results), violations(cons, results)
    return hypervolume(losses[pareto_mask(losses, violation)], ref)


def regret(problem: Problem, results: list[dict]) -> float:
    _space, _f, objectives, constraints, ref, best, _budget = problem
    if ref is not None:
        return best - _hypervolume(objectives, constraints, results, ref)
    objs, cons = _definitions(objectives, constraints)
    losses = objective_losses(objs, results)[:, 0]
    feasible = losses[violations(cons, results) <= 0]
    return float(feasible.min() - best) if len(feasible) else math.inf


def run_hpoweb(name: str, problem: Problem, seed: int) -> tuple[list[dict], list[float]]:
    space_spec, f, objectives, constraints, _ref, _best, budget = problem
    objs, cons = _definitions(objectives, constraints)
    optimizer = get_optimizer(
        name, SearchSpace.from_dict(space_spec), seed=seed, objectives=objs, constraints=cons
    )
    history, times = [], []
    while len(history) < budget:
        started = time.perf_counter()
        [params] = optimizer.suggest(history=history, n=1)
        times.append(time.perf_counter() - started)
        history.append((params, f(params)))
    return [v for _, v in history], times


def run_optuna(kind: str, problem: Problem, seed: int) -> tuple[list[dict], list[float]]:
    import optuna

    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space_spec, f, objectives, constraints, _ref, _best, budget = problem

    def constraints_func(trial) -> list[float]:
        return trial.user_attrs["c"]

    extra = {"constraints_func": constraints_func} if constraints else {}
    sampler = {
        "optuna_nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed, **extra),
        "optuna_tpe": lambda: optuna.samplers.TPESampler(seed=seed, **extra),
        "optuna_gp": lambda: optuna.samplers.GPSampler(seed=seed, **extra),
    }[kind]()
    study = optuna.create_study(sampler=sampler, directions=[d for _, d in objectives])
    dists = {
        n: optuna.distributions.FloatDistribution(p["low"], p["high"], log=p.get("log", False))
        for n, p in space_spec.items()
    }
    results, times = [], []
    for _ in range(budget):
        started = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - started)
        values = f(trial.params)
        trial.set_user_attr("c", [values[m] - bound for m, bound in constraints])
        study.tell(trial, [values[m] for m, _ in objectives])
        results.append(values)
    return results, times


def run_one(name: str, problem: Problem, seed: int) -> tuple[float, float]:
    runner = run_optuna if name.startswith("optuna_") else run_hpoweb
    results, times = runner(name, problem, seed)
    return regret(problem, results), float(np.mean(times))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--problems", default="")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    problems = load_problems()
    chosen = args.problems.split(",") if args.problems else list(problems)
    print("| problem | optimizer | median regret | median s / suggestion |\n|---|---|---|---|")
    for problem_name in chosen:
        problem = problems[problem_name]
        for name in args.optimizers.split(","):
            runs = [run_one(name, problem, seed) for seed in range(args.seeds)]
            regrets, seconds = [r for r, _ in runs], [s for _, s in runs]
            print(
                f"| {problem_name} | {name} | {np.median(regrets):.4g} | {np.median(seconds):.4f} |",
                flush=True,
            )
            if args.out:
                with open(args.out, "a") as out:
                    row = {"problem": problem_name, "optimizer": name, "regrets": regrets, "seconds": seconds}
                    out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
