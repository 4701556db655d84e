"""Optimizer quality benchmark: hpoweb's optimizers against Optuna, scikit-optimize and bayesian-optimization.

Every problem of ../shared/bench/problems.py (imported by path, never tuned to) at its trial budget,
sequentially (n=1), several seeds; prints per problem the median final simple regret, the median seconds
per suggestion and each optimizer's rank, then the mean rank; then hpoweb gp with n=4 per round against
n=1 at equal total trials. The peers come from the `bench` extra: `pip install -e '.[bench]' torch`.

    python benchmarks/optimizers.py [--problems branin,hartmann6] [--seeds 10] [--first-seed 0]
        [--optimizers gp,optuna_gp] [--out results.jsonl]
    python benchmarks/optimizers.py --optimizers gp:acquisition=pi,gp:acquisition=pi:xi=0.5 --no-batch
    python benchmarks/optimizers.py --tables results.jsonl more.jsonl   # tables from saved runs only
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shlex
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runs import read_saved, run_all  # noqa: E402
from studies.optimizers import OPTIMIZERS, SearchSpace, get_optimizer  # noqa: E402

PROBLEMS_PATH = ROOT.parent / "shared" / "bench" / "problems.py"
PEERS = ["optuna_tpe", "optuna_gp", "optuna_cmaes", "skopt_gp", "bayes_opt", "optuna_random"]


def problems_module():
    """../shared/bench/problems.py, imported by path (it is not a package of ours)."""
    spec = importlib.util.spec_from_file_location("bench_problems", PROBLEMS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_problems() -> dict[str, tuple[dict, Callable[[dict], float], float, int]]:
    return problems_module().problems("public")


def parse_label(label: str) -> tuple[str, dict]:
    """An optimizer label with settings, "gp:acquisition=pi:xi=0.1", as (name, settings)."""
    name, *items = label.split(":")
    settings = {}
    for item in items:
        key, _, text = item.partition("=")
        try:
            settings[key] = json.loads(text)
        except ValueError:
            settings[key] = text
    return name, settings


def run_hpoweb(label: str, spec: dict, f: Callable, budget: int, seed: int, batch: int = 1):
    """(losses in order, seconds per suggestion); `batch` points are suggested per round."""
    space = SearchSpace.from_dict(spec)
    name, settings = parse_label(label)
    opt = get_optimizer(name, space, direction="minimize", seed=seed, **settings)
    history, times = [], []
    while len(history) < budget:
        t0 = time.perf_counter()
        points = opt.suggest(history=history, n=min(batch, budget - len(history)))
        times.append((time.perf_counter() - t0) / len(points))
        history += [(p, f(p)) for p in points]
    return [v for _, v in history], times


def optuna_distributions(spec: dict):
    import optuna

    out = {}
    for name, p in spec.items():
        if p["type"] == "categorical":
            out[name] = optuna.distributions.CategoricalDistribution(p["choices"])
        elif p["type"] == "int":
            out[name] = optuna.distributions.IntDistribution(
                p["low"], p["high"], log=p.get("log", False), step=p.get("step", 1)
            )
        else:
            out[name] = optuna.distributions.FloatDistribution(
                p["low"], p["high"], log=p.get("log", False), step=p.get("step")
            )
    return out


def run_optuna(kind: str, spec: dict, f: Callable, budget: int, seed: int):
    import optuna
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = {
        "optuna_tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "optuna_gp": lambda: optuna.samplers.GPSampler(seed=seed),
        "optuna_cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
        "optuna_random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }[kind]()
    study = optuna.create_study(sampler=sampler, direction="minimize")
    dists = optuna_distributions(spec)
    losses, times = [], []
    for _ in range(budget):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - t0)
        value = f(trial.params)
        study.tell(trial, value)
        losses.append(value)
    return losses, times


def run_skopt(spec: dict, f: Callable, budget: int, seed: int):
    """skopt.Optimizer with gp_minimize's defaults (GP, gp_hedge, 10 initial points), via ask/tell."""
    from skopt import Optimizer
    from skopt.space import Categorical, Integer, Real

    dims = []
    for p in spec.values():
        if p["type"] == "categorical":
            dims.append(Categorical(p["choices"]))
        elif p["type"] == "int":
            dims.append(Integer(p["low"], p["high"], prior="log-uniform" if p.get("log") else "uniform"))
        else:
            dims.append(Real(p["low"], p["high"], prior="log-uniform" if p.get("log") else "uniform"))
    opt = Optimizer(dims, base_estimator="GP", n_initial_points=10, acq_func="gp_hedge", random_state=seed)
    names = list(spec)
    losses, times = [], []
    for _ in range(budget):
        t0 = time.perf_counter()
        x = opt.ask()
        elapsed = time.perf_counter() - t0
        params = {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, x, strict=True)}
        value = f(params)
        t0 = time.perf_counter()
        opt.tell(x, value)  # skopt fits its GP and picks the next point here
        times.append(elapsed + time.perf_counter() - t0)
        losses.append(value)
    return losses, times


def run_bayes_opt(spec: dict, f: Callable, budget: int, seed: int):
    """bayesian-optimization suggest/register on hpoweb's unit-cube encoding (so it gets log scales)."""
    from bayes_opt import BayesianOptimization

    space = SearchSpace.from_dict(spec)
    opt = BayesianOptimization(
        f=None,
        pbounds={n: (0.0, 1.0) for n in space.names},
        random_state=seed,
        verbose=0,
        allow_duplicate_points=True,
    )
    losses, times = [], []
    for _ in range(budget):
        t0 = time.perf_counter()
        u = opt.suggest()
        times.append(time.perf_counter() - t0)
        params = space.decode(np.array([[u[n] for n in space.names]]))[0]
        value = f(params)
        opt.register(params=u, target=-value)
        losses.append(value)
    return losses, times


def run_one(task: tuple[str, str, int, int]) -> tuple[str, str, int, int, float, float]:
    """(problem, optimizer, seed, batch, final regret, median seconds per suggestion)."""
    problem, optimizer, seed, batch = task
    spec, f, optimum, budget = load_problems()[problem]
    warnings.filterwarnings("ignore")
    if optimizer.startswith("optuna_"):
        losses, times = run_optuna(optimizer, spec, f, budget, seed)
    elif optimizer == "skopt_gp":
        losses, times = run_skopt(spec, f, budget, seed)
    elif optimizer == "bayes_opt":
        losses, times = run_bayes_opt(spec, f, budget, seed)
    else:
        losses, times = run_hpoweb(optimizer, spec, f, budget, seed, batch)
    return problem, optimizer, seed, batch, float(min(losses) - optimum), float(np.median(times))


def _ranks(values: dict[str, float]) -> dict[str, float]:
    """Average ranks (1 = best) of the optimizers' median regrets, ties shared."""
    items = sorted(values.items(), key=lambda kv: kv[1])
    ranks, i = {}, 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and math.isclose(items[j + 1][1], items[i][1], rel_tol=1e-12, abs_tol=1e-15):
            j += 1
        for k in range(i, j + 1):
            ranks[items[k][0]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def quality_table(results: list, problems: list[str], optimizers: list[str]) -> str:
    regret = {(p, o): [] for p in problems for o in optimizers}
    secs = {(p, o): [] for p in problems for o in optimizers}
    for problem, optimizer, _, batch, r, s in results:
        if batch == 1:
            regret[problem, optimizer].append(r)
            secs[problem, optimizer].append(s)
    lines = ["| problem | optimizer | median regret | s / suggestion | rank |", "|---|---|---:|---:|---:|"]
    rank_sum = dict.fromkeys(optimizers, 0.0)
    for p in problems:
        med = {o: float(np.median(regret[p, o])) for o in optimizers if regret[p, o]}
        ranks = _ranks(med)
        for o in sorted(med, key=lambda o: ranks[o]):
            rank_sum[o] += ranks[o]
            lines.append(f"| {p} | {o} | {med[o]:.3g} | {np.median(secs[p, o]):.3f} | {ranks[o]:g} |")
    lines += ["", "| optimizer | mean rank |", "|---|---:|"]
    for o in sorted(optimizers, key=lambda o: rank_sum[o]):
        lines.append(f"| {o} | {rank_sum[o] / len(problems):.2f} |")
    return "\n".join(lines)


def batch_table(results: list, problems: list[str]) -> str:
    lines = ["| problem | gp n=1 median regret | gp n=4 median regret |", "|---|---:|---:|"]
    for p in problems:
        by_batch = {
            b: [r for pr, o, _, bb, r, _ in results if pr == p and o == "gp" and bb == b] for b in (1, 4)
        }
        lines.append(f"| {p} | {np.median(by_batch[1]):.3g} | {np.median(by_batch[4]):.3g} |")
    return "\n".join(lines)


def print_tables(results: list, problems: list[str], optimizers: list[str]) -> None:
    print(quality_table(results, problems, optimizers))
    if any(batch == 4 for *_, batch, _, _ in results):
        print()
        print(batch_table(results, problems))


def main() -> None:
    all_problems = list(load_problems())
    hpoweb = [o for o in ("random", "gp", "tpe", "cmaes") if o in OPTIMIZERS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(all_problems))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed of the run")
    parser.add_argument("--optimizers", default=",".join(hpoweb + PEERS))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--no-batch", action="store_true", help="skip the gp n=4 table")
    parser.add_argument("--out", help="also append each run's result to this JSON-lines file")
    parser.add_argument(
        "--tables", nargs="+", metavar="FILE", help="print the tables of saved results and exit"
    )
    args = parser.parse_args()
    print("$ python benchmarks/optimizers.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    if args.tables:
        results = read_saved(*args.tables)
        problems = [p for p in all_problems if any(r[0] == p for r in results)]
        optimizers = list(dict.fromkeys(r[1] for r in results))
        print_tables(results, problems, optimizers)
        return
    problems, optimizers = args.problems.split(","), args.optimizers.split(",")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = [(p, o, s, 1) for p in problems for o in optimizers for s in seeds]
    if "gp" in optimizers and not args.no_batch:
        tasks += [(p, "gp", s, 4) for p in problems for s in seeds]
    order = ["optuna_gp", "gp", "bayes_opt", "skopt_gp"]  # the key comparison first, the slowest last
    tasks.sort(key=lambda t: (order.index(t[1]) if t[1] in order else -1, t[2]))
    saved = run_all(run_one, tasks, args.processes, args.out)
    results = [r for r in saved if r[0] in problems and r[1] in optimizers and r[2] in seeds]
    print_tables(results, problems, optimizers)


if __name__ == "__main__":
    main()
