"""Conditional (tree-shaped) spaces: hpoweb's tpe and gp against Optuna's TPE (define-by-run,
multivariate and group), Optuna's GPSampler and hyperopt's TPE, on the same seeds.

Problems: `jenatton` from ../shared/bench/problems.py `conditional_problems()` (its space, optimum and
budget, imported by path, never tuned to) and `digits_models` (model selection among an SVM, boosted
trees and an MLP on scikit-learn's digits, `studies/jobs/model_selection.py`; regret against the best
validation log loss any run found, budget 40). Prints the median final regret per optimizer and problem.
The peers come from the `bench` extra: `pip install -e '.[bench]'`.

    python benchmarks/conditional.py [--problems jenatton,digits_models] [--seeds 10] [--first-seed 0]
        [--optimizers tpe,gp,optuna_tpe,optuna_gp,hyperopt_tpe] [--out results.jsonl]
    python benchmarks/conditional.py --tables results.jsonl more.jsonl   # tables from saved runs only
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.optimizers import problems_module  # noqa: E402
from studies.jobs.model_selection import SPACE as MODELS_SPACE  # noqa: E402
from studies.jobs.model_selection import validation_loss  # noqa: E402
from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402

OPTIMIZERS = ["tpe", "gp", "optuna_tpe", "optuna_gp", "hyperopt_tpe"]
MODELS_BUDGET = 40


def load_problems() -> dict[str, tuple[dict, Callable[[dict], float], float | None, int]]:
    module = problems_module()
    return {
        **module.conditional_problems(),
        "digits_models": (MODELS_SPACE, validation_loss, None, MODELS_BUDGET),
    }


def parents_first(spec: dict) -> list[str]:
    """Parameter names with every parent before its children (the order define-by-run code asks them)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name not in order:
            for parent in spec[name].get("when", {}):
                visit(parent)
            order.append(name)

    for name in spec:
        visit(name)
    return order


def run_hpoweb(name: str, spec: dict, f: Callable, budget: int, seed: int) -> list[float]:
    optimizer = get_optimizer(name, SearchSpace.from_dict(spec), seed=seed)
    history: list = []
    while len(history) < budget:
        params = optimizer.suggest(history=history)[0]
        history.append((params, f(params)))
    return [value for _, value in history]


def _suggest_optuna(trial, name: str, p: dict):
    if p["type"] == "categorical":
        return trial.suggest_categorical(name, p["choices"])
    if p["type"] == "int":
        return trial.suggest_int(name, p["low"], p["high"], log=p.get("log", False), step=p.get("step") or 1)
    return trial.suggest_float(name, p["low"], p["high"], log=p.get("log", False), step=p.get("step"))


def run_optuna(kind: str, spec: dict, f: Callable, budget: int, seed: int) -> list[float]:
    """Define-by-run: a parameter is asked for only while its conditions hold."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if kind == "optuna_gp":
        import torch

        torch.set_num_threads(1)
        sampler = optuna.samplers.GPSampler(seed=seed)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # multivariate and group are marked experimental
            sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)
    order = parents_first(spec)

    def objective(trial) -> float:
        params: dict = {}
        for name in order:
            when = spec[name].get("when", {})
            if all(parent in params and params[parent] in values for parent, values in when.items()):
                params[name] = _suggest_optuna(trial, name, spec[name])
        return f(params)

    study = optuna.create_study(sampler=sampler, direction="minimize")
    study.optimize(objective, n_trials=budget)
    return [t.value for t in study.trials]


def hyperopt_space(spec: dict, names: list[str] | None = None):
    """The tree as hyperopt's nested space: a parent with children becomes an `hp.choice` over its
    values, each option holding the children active for it (each child must have one parent)."""
    from hyperopt import hp

    children: dict[str, list[str]] = {}
    for name, p in spec.items():
        if len(p.get("when", {})) > 1:
            raise ValueError(f"{name}: hyperopt's nesting needs a single parent")
        for parent in p.get("when", {}):
            children.setdefault(parent, []).append(name)
    roots = [n for n, p in spec.items() if not p.get("when")] if names is None else names
    out = {}
    for name in roots:
        p = spec[name]
        if name in children:
            values = p["choices"] if p["type"] == "categorical" else list(range(p["low"], p["high"] + 1))
            options = []
            for value in values:
                active = [c for c in children[name] if value in spec[c]["when"][name]]
                options.append({name: value, **hyperopt_space(spec, active)})
            out[f"{name}__branch"] = hp.choice(name, options)
        else:
            out[name] = _hyperopt_leaf(hp, name, p)
    return out


def _hyperopt_leaf(hp, name: str, p: dict):
    if p["type"] == "categorical":
        return hp.choice(name, p["choices"])
    low, high, step = p["low"], p["high"], p.get("step") or (1 if p["type"] == "int" else None)
    if p.get("log"):
        return (
            hp.qloguniform(name, np.log(low), np.log(high), step)
            if step
            else hp.loguniform(name, np.log(low), np.log(high))
        )
    return hp.quniform(name, low, high, step) if step else hp.uniform(name, low, high)


def flatten(sample: dict, spec: dict) -> dict:
    out: dict = {}
    for key, value in sample.items():
        if isinstance(value, dict):
            out.update(flatten(value, spec))
        else:
            out[key] = int(round(value)) if spec[key]["type"] == "int" else value
    return {name: out[name] for name in spec if name in out}


def run_hyperopt(spec: dict, f: Callable, budget: int, seed: int) -> list[float]:
    from hyperopt import STATUS_OK, Trials, fmin, tpe

    losses: list[float] = []

    def objective(sample: dict) -> dict:
        losses.append(f(flatten(sample, spec)))
        return {"loss": losses[-1], "status": STATUS_OK}

    fmin(
        objective,
        hyperopt_space(spec),
        algo=tpe.suggest,
        max_evals=budget,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return losses


def run(name: str, spec: dict, f: Callable, budget: int, seed: int) -> list[float]:
    if name.startswith("optuna_"):
        return run_optuna(name, spec, f, budget, seed)
    if name == "hyperopt_tpe":
        return run_hyperopt(spec, f, budget, seed)
    return run_hpoweb(name, spec, f, budget, seed)


def table(rows: list[dict]) -> str:
    """Median final regret per problem and optimizer (regret against the best any run found where the
    problem has no known optimum)."""
    lines = []
    for problem in dict.fromkeys(r["problem"] for r in rows):
        mine = [r for r in rows if r["problem"] == problem]
        optimum = mine[0]["optimum"]
        if optimum is None:
            optimum = min(min(r["losses"]) for r in mine)
        seeds = len({r["seed"] for r in mine})
        lines.append(f"{problem} ({seeds} seeds, budget {len(mine[0]['losses'])}):")
        for name in dict.fromkeys(r["optimizer"] for r in mine):
            regrets = [min(r["losses"]) - optimum for r in mine if r["optimizer"] == name]
            lines.append(f"  {name:14s} median regret {np.median(regrets):.4f}  mean {np.mean(regrets):.4f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default="jenatton,digits_models")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from here (held-out seeds)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--tables", type=Path, nargs="+", help="print the tables of saved runs and stop")
    args = parser.parse_args()
    if args.tables:
        print(table([json.loads(line) for path in args.tables for line in path.read_text().splitlines()]))
        return
    problems = load_problems()
    rows = []
    for problem in args.problems.split(","):
        spec, f, optimum, budget = problems[problem]
        for name in args.optimizers.split(","):
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                row = {"problem": problem, "optimizer": name, "seed": seed, "optimum": optimum}
                row["losses"] = run(name, spec, f, budget, seed)
                rows.append(row)
                if args.out:
                    with args.out.open("a") as out:
                        out.write(json.dumps(row) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
