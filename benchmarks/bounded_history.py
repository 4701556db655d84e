"""Bounded history: what scheduling gives the optimizer (studies/services/history.py) against the full
history, for quality and for cost.

quality: every public problem (../shared/bench/problems.py, never tuned to) run sequentially for
`--scale` times its budget, once with the full history and once with the bounded rule at bounds scaled
down to `--best`/`--recent` (the shipped 400/1,000 only bind past 1,000 trials, too long a run for
tpe on its full history here); prints the median final regret of each.

cost: a scheduling step's two parts on a demo study of each `--sizes` trials, on a scratch SQLite
database, timed in-process: reading the inputs (services.history), then one suggestion of each
optimizer on them; medians of `--repeats`.

    python benchmarks/bounded_history.py quality [--seeds 10] [--optimizers tpe,cmaes,gp] [--scale 3]
    python benchmarks/bounded_history.py cost [--sizes 1000,10000,100000] [--optimizers tpe,cmaes,gp]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.optimizers import load_problems  # noqa: E402
from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402


def bounded(history: list[tuple[dict, float]], best: int, recent: int) -> list[tuple[dict, float]]:
    """The rule of services.history on an in-memory history (all complete): the `best` lowest and the
    `recent` last trials, in trial order."""
    by_loss = sorted(range(len(history)), key=lambda i: (history[i][1], i))[:best]
    keep = sorted(set(by_loss) | set(range(max(0, len(history) - recent), len(history))))
    return [history[i] for i in keep]


def stream_seed(seed: int, total: int, partial: bool) -> int:
    """As services.history.Inputs.seed."""
    return int(np.random.SeedSequence([seed, total]).generate_state(1)[0]) if partial else seed


def run(name: str, spec: dict, f, budget: int, seed: int, bounds: tuple[int, int] | None) -> float:
    space = SearchSpace.from_dict(spec)
    history: list[tuple[dict, float]] = []
    while len(history) < budget:
        given = bounded(history, *bounds) if bounds else history
        opt = get_optimizer(name, space, seed=stream_seed(seed, len(history), len(given) < len(history)))
        (params,) = opt.suggest(history=given, n=1)
        history.append((params, f(params)))
    return min(v for _, v in history)


def quality(args) -> None:
    problems = load_problems()
    print(
        f"| problem (trials) | optimizer | full history | bounded ({args.best} best + {args.recent} recent) |"
    )
    print("|---|---|---|---|")
    for problem in args.problems.split(","):
        spec, f, optimum, budget = problems[problem]
        n = args.trials or args.scale * budget
        for name in args.optimizers.split(","):
            full, cut = [], []
            for seed in range(args.seeds):
                full.append(run(name, spec, f, n, seed, None) - optimum)
                cut.append(run(name, spec, f, n, seed, (args.best, args.recent)) - optimum)
            medians = f"{statistics.median(full):.4g} | {statistics.median(cut):.4g}"
            print(f"| {problem} ({n}) | {name} | {medians} |", flush=True)


def cost(args) -> None:
    from benchmarks.scratch_django import setup_scratch_django

    setup_scratch_django(tempfile.mkdtemp(prefix="hpoweb-bounded-"))
    from django.contrib.auth import get_user_model

    from studies.demo import create_demo_study
    from studies.services.history import scheduling_inputs

    owner = get_user_model().objects.create_user("bench")
    names = args.optimizers.split(",")
    print(f"| trials | history given | read (s) | {' | '.join(f'{n} suggest (s)' for n in names)} |")
    print(f"|---:|---:|---:|{'---:|' * len(names)}")
    for size in map(int, args.sizes.split(",")):
        study = create_demo_study(owner, size, steps=0, name=f"demo{size}")
        space = study.space.spec()
        read, inputs = _timed(args.repeats, scheduling_inputs, study, space)
        cells = [f"{size:,}", f"{len(inputs.history):,}", f"{read:.3f}"]
        for name in names:
            optimizer = get_optimizer(name, space, seed=inputs.seed(0))
            suggest, _ = _timed(args.repeats, optimizer.suggest, inputs.history, inputs.pending)
            cells.append(f"{suggest:.3f}")
        print(f"| {' | '.join(cells)} |", flush=True)


def _timed(repeats: int, call, *args):
    """The median seconds of `repeats` calls and the last call's result."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = call(*args)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["quality", "cost"])
    parser.add_argument("--optimizers", default="tpe,cmaes")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--best", type=int, default=10)
    parser.add_argument("--recent", type=int, default=40)
    parser.add_argument("--trials", type=int, default=0, help="trials per run (default: scale x budget)")
    parser.add_argument("--problems", default="branin,hartmann6,rosenbrock4,ackley5,mlp_surrogate")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    quality(args) if args.what == "quality" else cost(args)


if __name__ == "__main__":
    main()
