"""Held-out single objectives under constraints: gramacy (problems.py) is the only public one, so a
change to how gp handles constraints is confirmed here, on problems it was not tuned on.

- gardner: Gardner et al. (2014), cos(2 x1) cos(x2) + sin(x1) on [0, 6]^2 under
  cos(x1) cos(x2) - sin(x1) sin(x2) <= 0.5; budget 50.
- branin_disk: Branin on its usual box under (x1 - 2.5)^2 + (x2 - 7.5)^2 <= 50 (Gelbart et al. 2014);
  budget 40.
- hartmann6_ball: Hartmann6 on the unit cube under ||x||_2 <= 1 (Letham et al. 2019); budget 60.

The optima are computed at start (SLSQP from a grid of starts); the score is the best feasible value
minus it, as for gramacy in multi_objective.py, whose runner this reuses.

    python benchmarks/constrained.py --seeds 20 --out runs.jsonl [--problems gardner] [--first-seed 0]
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import optimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.multi_objective import Problem, run_one  # noqa: E402
from benchmarks.optimizers import problems_module  # noqa: E402

_public = functools.cache(problems_module)  # loaded once: Branin and Hartmann6 are its functions


def _box(names: list[str], lo: list[float], hi: list[float]) -> dict:
    return {
        n: {"type": "float", "low": a, "high": b, "log": False} for n, a, b in zip(names, lo, hi, strict=True)
    }


def _gardner(x: np.ndarray) -> tuple[float, list[float]]:
    f = math.cos(2 * x[0]) * math.cos(x[1]) + math.sin(x[0])
    return f, [math.cos(x[0]) * math.cos(x[1]) - math.sin(x[0]) * math.sin(x[1]) - 0.5]


def _branin_disk(x: np.ndarray) -> tuple[float, list[float]]:
    f = _public().branin({"x1": x[0], "x2": x[1]})
    return f, [(x[0] - 2.5) ** 2 + (x[1] - 7.5) ** 2 - 50.0]


def _hartmann6_ball(x: np.ndarray) -> tuple[float, list[float]]:
    f = _public().hartmann6({f"x{i + 1}": v for i, v in enumerate(x)})
    return f, [float(np.sum(np.square(x))) - 1.0]


DEFINITIONS = {  # name: (function of x -> (f, [c <= 0]), lows, highs, budget)
    "gardner": (_gardner, [0.0, 0.0], [6.0, 6.0], 50),
    "branin_disk": (_branin_disk, [-5.0, 0.0], [10.0, 15.0], 40),
    "hartmann6_ball": (_hartmann6_ball, [0.0] * 6, [1.0] * 6, 60),
}


def _optimum(fun, lo: list[float], hi: list[float]) -> float:
    """The best feasible value SLSQP finds from 100 seeded random starts."""
    starts = np.random.default_rng(0).uniform(lo, hi, (100, len(lo)))
    cons = {"type": "ineq", "fun": lambda x: -np.array(fun(x)[1])}
    best = math.inf
    for x0 in starts:
        res = optimize.minimize(
            lambda x: fun(x)[0], x0, method="SLSQP", bounds=list(zip(lo, hi, strict=True)), constraints=cons
        )
        if res.success and max(fun(res.x)[1]) <= 1e-9:
            best = min(best, float(res.fun))
    return best


def problems(chosen: list[str]) -> dict[str, Problem]:
    out = {}
    for name in chosen:
        fun, lo, hi, budget = DEFINITIONS[name]
        names = [f"x{i + 1}" for i in range(len(lo))]

        def evaluate(p: dict, fun=fun, names=names) -> dict:
            f, cs = fun(np.array([p[n] for n in names]))
            return {"f": f, **{f"c{i + 1}": c for i, c in enumerate(cs)}}

        n_cons = len(fun(np.array(lo))[1])
        cons = [(f"c{i + 1}", 0.0) for i in range(n_cons)]
        out[name] = (
            _box(names, lo, hi),
            evaluate,
            [("f", "minimize")],
            cons,
            None,
            _optimum(fun, lo, hi),
            budget,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--problems", default=",".join(DEFINITIONS))
    parser.add_argument("--optimizers", default="gp")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    chosen = problems(args.problems.split(","))
    for name, problem in chosen.items():
        print(f"{name}: optimum {problem[5]:.9g}", flush=True)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for name, problem in chosen.items():
            for optimizer in args.optimizers.split(","):
                regret, seconds = run_one(optimizer, problem, seed)
                row = {
                    "problem": name,
                    "optimizer": optimizer,
                    "seed": seed,
                    "regret": regret,
                    "seconds": seconds,
                }
                print(json.dumps(row), flush=True)
                if args.out:
                    with open(args.out, "a") as out:
                        out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
