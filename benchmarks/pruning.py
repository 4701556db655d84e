"""Multi-fidelity benchmark: ASHA and Hyperband against no pruning on the real `digits_mlp` job.

Epochs are the resource. Each method trains random configurations one after another (the same
sequence for every method at a given seed) until the same total number of epochs is spent; after each
reported epoch the study's pruner decides exactly as a worker would ask `services.prune_decision`
(same `get_pruner(...).should_prune` on the curves so far). It prints, per method, the median over
seeds of the best validation error of a fully trained trial, and the total epochs spent when the best
so far first came within 1 % (relative) and within 1 percentage point of no pruning's best (also as a
share of the budget, and of the epochs no pruning itself needed to find its best).

    python benchmarks/pruning.py [--seeds 4] [--first-seed 0] [--full-trials 20] [--epochs 27] [--processes 2]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studies.jobs.digits import JOB as DIGITS  # noqa: E402
from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402
from studies.optimizers.pruners import get_pruner  # noqa: E402


class BudgetReporter:
    """The job's reporter: records the curve, asks the pruner, and stops when the budget is spent."""

    def __init__(self, pruner, number: int, curves: dict, epochs_left: int) -> None:
        self.pruner, self.number, self.curves, self.epochs_left = pruner, number, curves, epochs_left
        self.curve: list[tuple[int, float]] = []
        self.epochs = 0
        self.pruned = False

    def report(self, step: int, value: float) -> None:
        self.curve.append((step, value))
        self.epochs += 1
        others = {n: c for n, c in self.curves.items() if n != self.number}
        decision = self.pruner.should_prune(self.number, self.curve, others, "minimize")
        self.pruned = decision.prune or self.epochs >= self.epochs_left

    def should_prune(self) -> bool:
        return self.pruned


def run_method(pruner_name: str, settings: dict, configs: list[dict], budget: int, epochs: int) -> list:
    """(epochs spent so far, final value) for each trial trained to the last epoch, in order."""
    pruner = get_pruner(pruner_name, **settings)
    curves: dict[int, list] = {}
    used, finished = 0, []
    for number, params in enumerate(configs):
        if used >= budget:
            break
        reporter = BudgetReporter(pruner, number, curves, budget - used)
        curves[number] = reporter.curve
        DIGITS.fn(params, {"epochs": epochs, "data_seed": 0}, reporter)
        used += reporter.epochs
        if reporter.curve and reporter.curve[-1][0] == epochs:
            finished.append((used, reporter.curve[-1][1]))
    return finished


def epochs_to_reach(finished: list, target: float) -> float:
    best = math.inf
    for used, value in finished:
        best = min(best, value)
        if best <= target:
            return used
    return math.inf


def run_seed(seed: int, budget: int, epochs: int) -> dict[str, tuple]:
    """Per method: (best, epochs to within 1 %, epochs to within 1 pp, full trainings) for one seed."""
    space = SearchSpace.from_dict(DIGITS.space)
    optimizer = get_optimizer("random", space, direction="minimize", seed=seed)
    configs = [params for params, _info in optimizer.suggest_with_info(history=[], pending=[], n=budget)]
    methods = {
        "none": ("none", {}),
        "asha": ("asha", {"min_resource": 1, "reduction_factor": 3}),
        "hyperband": ("hyperband", {"min_resource": 1, "max_resource": epochs, "reduction_factor": 3}),
    }
    runs = {m: run_method(name, s, configs, budget, epochs) for m, (name, s) in methods.items()}
    reference = min(v for _, v in runs["none"])
    return {
        method: (
            min((v for _, v in finished), default=math.inf),
            epochs_to_reach(finished, reference * 1.01),
            epochs_to_reach(finished, reference + 0.01),
            len(finished),
        )
        for method, finished in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--full-trials", type=int, default=20, help="budget = this many full trainings")
    parser.add_argument("--epochs", type=int, default=27, help="epochs of a full training (max resource)")
    parser.add_argument("--processes", type=int, default=2, help="seeds run in parallel")
    args = parser.parse_args()
    budget = args.full_trials * args.epochs
    started = time.monotonic()
    with multiprocessing.Pool(args.processes) as pool:
        per_seed = pool.starmap(
            run_seed,
            [(seed, budget, args.epochs) for seed in range(args.first_seed, args.first_seed + args.seeds)],
        )
    elapsed = time.monotonic() - started

    print(f"$ python benchmarks/{Path(__file__).name} {shlex.join(sys.argv[1:])}")
    print(
        f"budget {budget} epochs per method ({args.full_trials} full trainings of {args.epochs} epochs), "
        f"{args.seeds} seeds, medians over seeds; {elapsed:.0f} s\n"
    )
    print(
        "| pruner | best validation error | epochs to within 1 % of no pruning's best | share of budget | "
        "vs no pruning | epochs to within 1 pp | full trainings |"
    )
    print("|---|---|---|---|---|---|---|")
    for method in per_seed[0]:
        rows = [seed[method] for seed in per_seed]
        best, rel, pp, n_full = (statistics.median(column) for column in zip(*rows, strict=True))
        ratios = [seed[method][1] / seed["none"][1] for seed in per_seed]
        share = f"{100 * rel / budget:.0f} %" if math.isfinite(rel) else "not reached"
        print(
            f"| {method} | {best:.4f} | {rel:g} | {share} | {100 * statistics.median(ratios):.0f} % | "
            f"{pp:g} | {n_full:g} |"
        )
    print("\nper seed (best, epochs to 1 %, epochs to 1 pp, full trainings):")
    for seed, rows in enumerate(per_seed, start=args.first_seed):
        print(f"  seed {seed}: {rows}")


if __name__ == "__main__":
    main()
