"""Where a parallel run stands when it picks its last points: median best-so-far regret after k results.

The protocol of benchmarks/parallel.py (q trials at once, each told after a random duration). With q
trials at once the last of `budget` trials is chosen knowing budget - q results, so the regret of a
sequential run after that many results bounds what the parallel run's last points can start from.

    python benchmarks/parallel_trajectory.py [--problems branin,mlp_surrogate,hartmann6] [--q 1,4,16]
        [--seeds 5] [--at 16,20,24,30] [--optimizer gp]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.optimizers import load_problems  # noqa: E402
from benchmarks.parallel import run_hpoweb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="branin,mlp_surrogate,hartmann6")
    parser.add_argument("--q", default="1,4,16")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--at", default="16,20,24,30", help="numbers of results to report")
    parser.add_argument("--optimizer", default="gp")
    args = parser.parse_args()
    at = [int(k) for k in args.at.split(",")]
    problems = load_problems()
    print(f"| problem | q | {' | '.join(f'{k} results' for k in at)} | at the budget |")
    print("|---|---:|" + "---:|" * (len(at) + 1))
    for name in args.problems.split(","):
        spec, f, optimum, budget = problems[name]
        for q in (int(q) for q in args.q.split(",")):
            runs = [run_hpoweb(args.optimizer, spec, f, budget, seed, q) for seed in range(args.seeds)]
            best = np.minimum.accumulate(np.array(runs, dtype=float), axis=1) - optimum
            cells = [f"{np.median(best[:, k - 1]):.3g}" for k in [*at, budget]]
            print(f"| {name} ({budget}) | {q} | {' | '.join(cells)} |", flush=True)
    print(f"\n    python benchmarks/parallel_trajectory.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
