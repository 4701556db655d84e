"""Multi-objective benchmark: hpoweb's optimizers against Optuna's NSGAIISampler, TPESampler and GPSampler.

Problems: `mo_problems()` of ../shared/bench/problems.py (imported by path, never tuned to) and
four that hpoweb's optimizers were never tuned on: ZDT2 (a concave front), Binh-Korn (two objectives
under two constraints), and two written with the multi-objective TPE and EHVI work and only run
after them: CONSTR (Deb's two-objective problem whose front lies on two constraints) and ZDT3 (a
disconnected front). Each optimizer runs each problem at its trial budget, one trial at a time, on
the same seeds; the score is the hypervolume regret of the feasible Pareto front (the problem's best
hypervolume minus the front's), or for a single objective under constraints the best feasible
value's regret. `--out` appends each run as one JSON line as soon as it ends (so a long run can be
stopped and its finished seeds kept); `--report` prints the side-by-side table of such a file.

    python benchmarks/multi_objective.py --out runs.jsonl     # every problem and optimizer, 10 seeds
    python benchmarks/multi_objective.py --seeds 2 --problems zdt1 --optimizers gp,optuna_gp
    python benchmarks/multi_objective.py --report runs.jsonl
"""

from __future__ import annotations

import argparse
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

from benchmarks.optimizers import problems_module  # noqa: E402
from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402
from studies.optimizers.pareto import hypervolume, objective_losses, pareto_mask, violations  # noqa: E402

OPTIMIZERS = [
    "gp",
    "tpe",
    "nsga2",
    "random",
    "optuna_gp",
    "optuna_tpe",
    "optuna_nsga2",
    "gp_parego",
    "gp_ehvi",
]
# benchmark names for an hpoweb optimizer with settings (ablations, not in the default list)
VARIANTS = {
    "gp_parego": ("gp", {"multi_objective": "parego"}),
    "gp_ehvi": ("gp", {"multi_objective": "ehvi"}),
}
DEFAULT = OPTIMIZERS[:-2]

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


def constr_ex(p: dict) -> dict:
    """Deb's CONSTR: the front runs along both constraints (c <= 0) and then the f1 = x1 edge."""
    x1, x2 = p["x1"], p["x2"]
    return {"f1": x1, "f2": (1 + x2) / x1, "c1": 6 - x2 - 9 * x1, "c2": 1 + x2 - 9 * x1}


def zdt3(p: dict) -> dict:
    """ZDT3 (6-D): five disconnected pieces of front; f2 goes below 0."""
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    g = 1 + 9 * np.sum(x[1:]) / 5
    h = 1 - math.sqrt(x[0] / g) - (x[0] / g) * math.sin(10 * math.pi * x[0])
    return {"f1": float(x[0]), "f2": float(g * h)}


def dtlz7(p: dict) -> dict:
    """DTLZ7 (6-D, 3 objectives): four disconnected pieces of front where x3..x6 are 0 (g = 1)."""
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    g = 1 + 9 * np.sum(x[2:]) / 4
    h = 3 - np.sum(x[:2] / (1 + g) * (1 + np.sin(3 * np.pi * x[:2])))
    return {"f1": float(x[0]), "f2": float(x[1]), "f3": float((1 + g) * h)}


def dtlz5(p: dict) -> dict:
    """DTLZ5 (6-D, 3 objectives): a degenerate front, a curve from (0, 0, 1) to (1, 1, 0) / sqrt(2),
    where x3..x6 are 0.5 (g = 0)."""
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    g = float(np.sum((x[2:] - 0.5) ** 2))
    a = x[0] * math.pi / 2
    b = math.pi / (4 * (1 + g)) * (1 + 2 * g * x[1])
    return {
        "f1": (1 + g) * math.cos(a) * math.cos(b),
        "f2": (1 + g) * math.cos(a) * math.sin(b),
        "f3": (1 + g) * math.sin(a),
    }


def _dtlz7_best_hypervolume(ref: tuple) -> float:
    """On the front f3 = 2 h(f1, f2); over each (y1, y2) the volume runs from the least f3 of front
    points below-left of it up to the reference. On a 2,001-step grid of the box, heights taken at
    each cell's upper and lower corners bound it from above and below (within 2e-3); their mean."""
    steps = np.linspace(0.0, ref[0], 2001)
    f1, f2 = np.meshgrid(np.minimum(steps, 1.0), np.minimum(steps, 1.0), indexing="ij")
    f3 = 2 * (3 - sum(f / 2 * (1 + np.sin(3 * np.pi * f)) for f in (f1, f2)))
    heights = np.maximum(ref[2] - np.minimum.accumulate(np.minimum.accumulate(f3, axis=0), axis=1), 0.0)
    cell = (steps[1] - steps[0]) ** 2
    return float((heights[1:, 1:].sum() + heights[:-1, :-1].sum()) / 2 * cell)


def _dtlz5_best_hypervolume(ref: tuple) -> float:
    """The front is the curve (cos t, cos t, sqrt(2) sin t) / sqrt(2): below (y1, y2) its least f3
    is sqrt(1 - 2 m^2) for m = min(y1, y2) (0 past 1 / sqrt(2)), and m has density 2 (r - m) on a
    square [0, r]^2 (r = ref[0] = ref[1]); the integral over m, by the trapezoid rule on 200,001 steps."""
    r = ref[0]
    m = np.linspace(0.0, r, 200001)
    height = np.maximum(ref[2] - np.sqrt(np.maximum(1.0 - 2.0 * m**2, 0.0)), 0.0)
    return float(np.trapezoid(2.0 * (r - m) * height, m))


def _front_hypervolume(space: dict, f: Callable, objectives: list, constraints: list, ref: tuple) -> float:
    """The best hypervolume of a two-variable problem without a closed form, from a 401 x 401 grid
    (`f` evaluated on whole columns at once)."""
    names = list(space)
    axes = [np.linspace(space[n]["low"], space[n]["high"], 401) for n in names]
    values = f(dict(zip(names, (a.ravel() for a in np.meshgrid(*axes)), strict=True)))
    losses = np.column_stack([values[m] if d == "minimize" else -values[m] for m, d in objectives])
    violation = sum(np.maximum(values[m] - bound, 0.0) for m, bound in constraints)
    feasible = losses[violation <= 0]
    # two objectives: in order of the first, the points that lower the second's running minimum
    feasible = feasible[np.lexsort((feasible[:, 1], feasible[:, 0]))]
    running = np.minimum.accumulate(feasible[:, 1])
    front = np.concatenate([[True], feasible[1:, 1] < running[:-1]])
    return hypervolume(feasible[front], ref)


def _zdt3_best_hypervolume() -> float:
    """ZDT3's front is x2..x6 at 0 (g = 1); on a fine grid of x1 the dominated parts drop out."""
    x = np.linspace(0.0, 1.0, 20001)
    losses = np.column_stack([x, 1 - np.sqrt(x) - x * np.sin(10 * np.pi * x)])
    return hypervolume(losses, (11.0, 11.0))


def unseen_problems() -> dict[str, Problem]:
    min2 = [("f1", "minimize"), ("f2", "minimize")]
    bnh_space = {
        "x1": {"type": "float", "low": 0.0, "high": 5.0, "log": False},
        "x2": {"type": "float", "low": 0.0, "high": 3.0, "log": False},
    }
    bnh_constraints = [("c1", 0.0), ("c2", 0.0)]
    bnh_best = _front_hypervolume(bnh_space, binh_korn, min2, bnh_constraints, (140.0, 50.0))
    constr_space = {
        "x1": {"type": "float", "low": 0.1, "high": 1.0, "log": False},
        "x2": {"type": "float", "low": 0.0, "high": 5.0, "log": False},
    }
    constr_constraints = [("c1", 0.0), ("c2", 0.0)]
    constr_best = _front_hypervolume(constr_space, constr_ex, min2, constr_constraints, (1.1, 10.0))
    unit6 = _unit([f"x{i}" for i in range(1, 7)])
    zdt3_best = _zdt3_best_hypervolume()
    min3 = [*min2, ("f3", "minimize")]
    return {
        "zdt2": (unit6, zdt2, min2, [], (11.0, 11.0), 121 - 2 / 3, 60),
        "binh_korn": (bnh_space, binh_korn, min2, bnh_constraints, (140.0, 50.0), bnh_best, 60),
        "constr_ex": (constr_space, constr_ex, min2, constr_constraints, (1.1, 10.0), constr_best, 40),
        "zdt3": (unit6, zdt3, min2, [], (11.0, 11.0), zdt3_best, 60),
        "dtlz7": (unit6, dtlz7, min3, [], (1.1, 1.1, 6.6), _dtlz7_best_hypervolume((1.1, 1.1, 6.6)), 80),
        "dtlz5": (unit6, dtlz5, min3, [], (1.1, 1.1, 1.1), _dtlz5_best_hypervolume((1.1, 1.1, 1.1)), 80),
    }


def load_problems() -> dict[str, Problem]:
    return {**problems_module().mo_problems(), **unseen_problems()}


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
    name, settings = VARIANTS.get(name, (name, {}))
    optimizer = get_optimizer(
        name, SearchSpace.from_dict(space_spec), seed=seed, objectives=objs, constraints=cons, **settings
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


def report(rows: list[dict]) -> str:
    """A markdown table: per problem and optimizer, the median regret (seeds run) and the median of
    the per-run mean seconds per suggestion."""
    by_seed = {(row["problem"], row["optimizer"], row["seed"]): row for row in rows}  # a rerun replaces
    by_cell: dict[tuple[str, str], list[dict]] = {}
    for (problem, name, _seed), row in by_seed.items():
        by_cell.setdefault((problem, name), []).append(row)
    problems = list(dict.fromkeys(p for p, _ in by_cell))
    names = [n for n in OPTIMIZERS if any(o == n for _, o in by_cell)]
    lines = ["| problem | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for problem in problems:
        cells = []
        for name in names:
            runs = by_cell.get((problem, name), [])
            if not runs:
                cells.append("—")
                continue
            regret_ = np.median([r["regret"] for r in runs])
            seconds = np.median([r["seconds"] for r in runs])
            cells.append(f"{regret_:.3g} ({seconds:.3f} s, {len(runs)})")
        lines.append(f"| {problem} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--problems", default="")
    parser.add_argument("--optimizers", default=",".join(DEFAULT))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=0, help="trials per run; 0: each problem's own")
    parser.add_argument("--out", default="", help="append each run as a JSON line")
    parser.add_argument(
        "--report", default="", help="print the table of files --out wrote (comma-separated), then stop"
    )
    args = parser.parse_args()
    if args.report:
        rows = []
        for path in args.report.split(","):
            with open(path) as lines:
                rows += [json.loads(line) for line in lines if line.strip()]
        print(report(rows))
        return
    problems = load_problems()
    chosen = args.problems.split(",") if args.problems else list(problems)
    rows = []
    # seed by seed, so a run stopped early has every problem and optimizer on the same seeds
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for problem_name in chosen:
            for name in args.optimizers.split(","):
                problem = problems[problem_name]
                if args.budget:
                    problem = (*problem[:6], args.budget)
                regret_, seconds = run_one(name, problem, seed)
                row = {"problem": problem_name, "optimizer": name, "seed": seed}
                rows.append({**row, "regret": regret_, "seconds": seconds})
                if args.out:
                    with open(args.out, "a") as out:
                        out.write(json.dumps(rows[-1]) + "\n")
    print(report(rows))


if __name__ == "__main__":
    main()
