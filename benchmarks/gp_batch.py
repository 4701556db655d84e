"""GP batch cost: CPU per suggested point when "gp" proposes several trials at once.

A scheduling step fills every slot freed since the last one with one model fit (docs/benchmarks.md,
"Worker utilisation"), so with many workers the optimizer proposes batches, each member conditioned
on the running trials and the earlier members (kriging believer). This times one `suggest` of n
points on a random history of H trials with P running, as CPU milliseconds per point (median of
`--repeats`), side by side in one process:

- `full`: every member searched as the first one is (1,024 candidates, 8 polished starts);
- `shipped`: a later member starts from the earlier member's polished points plus a quarter of the
  candidates and polishes two (`acq_optimizer.LATER_CANDIDATE_SHARE`, `N_LATER_STARTS`).

The Cholesky factor grows by one block per member in both. Every thread pool is limited to one thread.

    python benchmarks/gp_batch.py [--problems hartmann6,mlp_surrogate] [--histories 100,400] [--repeats 5]

`--quality` compares what the two find instead: synchronous batches of `--q` (each call asks q points
with nothing running, so q - 1 of every q are later members), on the public problems at their
budgets, the final regret per seed (median, quartiles, and on how many seeds `shipped` is better).

    python benchmarks/gp_batch.py --quality --q 8 --seeds 30 [--problems branin,hartmann6,...]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

import numpy as np
from optimizers import ROOT, load_problems

sys.path.insert(0, str(ROOT))

from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402
from studies.optimizers.gp import acq_optimizer  # noqa: E402

SHIPPED = (acq_optimizer.LATER_CANDIDATE_SHARE, acq_optimizer.N_LATER_STARTS)
VARIANTS = {"full": (1, acq_optimizer.N_LOCAL_STARTS), "shipped": SHIPPED}


def cpu_ms_per_point(space, history, pending, n: int, variant: str, repeats: int) -> float:
    acq_optimizer.LATER_CANDIDATE_SHARE, acq_optimizer.N_LATER_STARTS = VARIANTS[variant]
    times = []
    for r in range(repeats):
        opt = get_optimizer("gp", space, seed=r)
        start = time.process_time()
        opt.suggest(history=history, pending=pending, n=n)
        times.append((time.process_time() - start) * 1000 / n)
    acq_optimizer.LATER_CANDIDATE_SHARE, acq_optimizer.N_LATER_STARTS = SHIPPED
    return float(np.median(times))


def final_regret(spec: dict, f, optimum: float, budget: int, seed: int, q: int, variant: str) -> float:
    acq_optimizer.LATER_CANDIDATE_SHARE, acq_optimizer.N_LATER_STARTS = VARIANTS[variant]
    optimizer = get_optimizer("gp", SearchSpace.from_dict(spec), seed=seed)
    history = []
    while len(history) < budget:
        history += [(p, f(p)) for p in optimizer.suggest(history=history, n=min(q, budget - len(history)))]
    acq_optimizer.LATER_CANDIDATE_SHARE, acq_optimizer.N_LATER_STARTS = SHIPPED
    return min(v for _, v in history) - optimum


def quality(args, problems) -> None:
    print("| problem | seeds | shipped median (25 %-75 %) | full median (25 %-75 %) | shipped better on |")
    print("|---|---:|---:|---:|---:|")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for name in args.problems.split(","):
        spec, f, optimum, budget = problems[name]
        runs = {v: [final_regret(spec, f, optimum, budget, s, args.q, v) for s in seeds] for v in VARIANTS}
        cells = [
            f"{np.median(r):.3g} ({np.quantile(r, 0.25):.3g}-{np.quantile(r, 0.75):.3g})"
            for r in (runs["shipped"], runs["full"])
        ]
        better = sum(a < b for a, b in zip(runs["shipped"], runs["full"], strict=True))
        print(f"| {name} | {args.seeds} | {cells[0]} | {cells[1]} | {better} of {args.seeds} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", help="default: hartmann6,mlp_surrogate; with --quality all five")
    parser.add_argument("--histories", default="100,400")
    parser.add_argument("--pending", type=int, default=60)
    parser.add_argument("--batches", default="1,4,16")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="regret of synchronous batches instead")
    parser.add_argument("--q", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    problems = load_problems()
    if args.quality:
        args.problems = args.problems or "branin,hartmann6,rosenbrock4,ackley5,mlp_surrogate"
        quality(args, problems)
        print(f"\nrerun: OMP_NUM_THREADS=1 python {shlex.join(sys.argv)}")
        return
    batches = [int(b) for b in args.batches.split(",")]
    args.problems = args.problems or "hartmann6,mlp_surrogate"
    print("| problem | trials | running | points | full ms/point | shipped ms/point | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in args.problems.split(","):
        spec, f, _, _ = problems[name]
        space = SearchSpace.from_dict(spec)
        for h in (int(x) for x in args.histories.split(",")):
            points = get_optimizer("random", space, seed=0).suggest(n=h + args.pending)
            history, pending = [(p, f(p)) for p in points[:h]], points[h:]
            get_optimizer("gp", space, seed=0).suggest(history=history, pending=pending)  # warm-up
            for n in batches:
                full, shipped = (
                    cpu_ms_per_point(space, history, pending, n, v, args.repeats) for v in VARIANTS
                )
                row = (name, h, args.pending, n, f"{full:.0f}", f"{shipped:.0f}", f"{full / shipped:.1f}x")
                print("| " + " | ".join(map(str, row)) + " |")
    print(f"\nrerun: OMP_NUM_THREADS=1 python {shlex.join(sys.argv)}  (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
