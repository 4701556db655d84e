"""Held-out problems for hpoweb gp's quality: standard test functions that are not in problems.py.

A change to the GP tuned on the public problems (../shared/bench/problems.py) is confirmed here, on
problems it was not tuned on: rosenbrock2 and ackley3 (problems.py's functions in other dimensions, on
the public boxes), the six-hump camel, Levy in 4 and Styblinski-Tang in 5 dimensions (on their usual
boxes). Each run is sequential (n=1) at the stated budget; the rows have the shape of optimizers.py's,
so `--compare` reads both, and noise.py's with `--seed-index 3`.

    python benchmarks/held_out.py [--problems camel,levy4] [--seeds 20] [--optimizers gp] [--out FILE]
    python benchmarks/held_out.py --compare BEFORE.jsonl AFTER.jsonl [--seed-index 3]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.optimizers import problems_module, run_hpoweb  # noqa: E402
from benchmarks.runs import read_saved, run_all  # noqa: E402


def _box(d: int, lo: float, hi: float) -> dict:
    return {f"x{i}": {"type": "float", "low": lo, "high": hi} for i in range(1, d + 1)}


def _vector(f):
    return lambda p: float(f(np.array([p[f"x{i}"] for i in range(1, len(p) + 1)], dtype=float)))


def _camel(x: np.ndarray) -> float:
    a, b = x
    return (4 - 2.1 * a**2 + a**4 / 3) * a**2 + a * b + (-4 + 4 * b**2) * b**2


def _levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    last = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return np.sin(np.pi * w[0]) ** 2 + middle + last


def _styblinski_tang(x: np.ndarray) -> float:
    return 0.5 * np.sum(x**4 - 16 * x**2 + 5 * x)


def problems() -> dict[str, tuple[dict, object, float, int]]:
    """name -> (search space, objective to minimise, known optimum value, trial budget)."""
    public = problems_module()
    return {
        "rosenbrock2": (_box(2, -5.0, 10.0), public.rosenbrock(2)[1], 0.0, 40),
        "ackley3": (_box(3, -20.0, 45.0), public.ackley(3)[1], 0.0, 50),
        "camel": (
            {**_box(1, -3.0, 3.0), "x2": _box(1, -2.0, 2.0)["x1"]},
            _vector(_camel),
            -1.031628453489877,
            40,
        ),
        "levy4": (_box(4, -10.0, 10.0), _vector(_levy), 0.0, 60),
        "styblinski5": (_box(5, -5.0, 5.0), _vector(_styblinski_tang), -39.16616570377142 * 5, 60),
    }


def run_one(task: tuple[str, str, int, int]) -> tuple[str, str, int, int, float, float]:
    """(problem, optimizer, seed, batch, final regret, median seconds per suggestion)."""
    problem, optimizer, seed, batch = task
    spec, f, optimum, budget = problems()[problem]
    warnings.filterwarnings("ignore")
    losses, times = run_hpoweb(optimizer, spec, f, budget, seed, batch)
    return problem, optimizer, seed, batch, float(min(losses) - optimum), float(np.median(times))


def _quartiles(values: list[float]) -> str:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return f"{q2:.3g} [{q1:.2g}, {q3:.2g}]"


def compare(before: list, after: list, seed_index: int) -> str:
    """Per problem (and setting): the median regret [quartiles] before and after, on the seeds both
    have, and on how many seeds the regret after is higher / lower (equal within 1e-12 is neither)."""

    def group(row):
        return tuple(x for i, x in enumerate(row[:4]) if i not in (1, seed_index))

    def run(row):
        return (*group(row), row[seed_index])

    old = {run(r): r[4] for r in before}
    pairs: dict[tuple, list[tuple[float, float]]] = {}
    for r in after:
        if run(r) in old:
            pairs.setdefault(group(r), []).append((old[run(r)], r[4]))
    lines = ["| problem | seeds | before | after | after worse / better on |", "|---|---:|---:|---:|---:|"]
    for key, got in pairs.items():
        b, a = np.array(got).T
        same = np.isclose(a, b, rtol=1e-12, atol=0.0)
        worse, better = int(np.sum((a > b) & ~same)), int(np.sum((a < b) & ~same))
        name = " ".join(str(k) for k in key)
        lines.append(f"| {name} | {len(got)} | {_quartiles(b)} | {_quartiles(a)} | {worse} / {better} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(problems()))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--optimizers", default="gp")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", help="also append each run's result to this JSON-lines file (resumes)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two saved runs")
    parser.add_argument("--seed-index", type=int, default=2, help="where the seed is in a saved row")
    args = parser.parse_args()
    print("$ python benchmarks/held_out.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    if args.compare:
        print(compare(read_saved(args.compare[0]), read_saved(args.compare[1]), args.seed_index))
        return
    chosen = args.problems.split(",")
    tasks = [(p, o, s, 1) for s in range(args.seeds) for p in chosen for o in args.optimizers.split(",")]
    saved = run_all(run_one, tasks, args.processes, args.out)
    by_run: dict[tuple, list[float]] = {}
    for r in saved:
        if r[0] in chosen and r[2] < args.seeds:
            by_run.setdefault((r[0], r[1]), []).append(r[4])
    print("| problem | optimizer | seeds | median regret [quartiles] |\n|---|---|---:|---:|")
    for (p, o), regrets in by_run.items():
        print(f"| {p} | {o} | {len(regrets)} | {_quartiles(regrets)} |")


if __name__ == "__main__":
    main()
