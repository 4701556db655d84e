"""Multi-fidelity benchmark: ASHA and Hyperband against no pruning on a real training job, at equal epochs.

Epochs are the resource. At each seed, random search draws one sequence of configurations from the
job's example space; each method trains them in that order, one after another, until it has spent the
budget (`--full-trials` full trainings of `--epochs` epochs, counting every epoch of every trial,
pruned ones included). After each reported epoch the method's pruner decides exactly as a worker's
`services.prune_decision` would: the same `get_pruner(...).should_prune` on the curves so far.

For each method and seed it records every trial trained to the last epoch, with the total epochs spent
when it finished, and derives (the target being no pruning's best at that seed, over its whole budget):

- best: the lowest final validation error of a fully trained trial within the budget;
- epochs to 1 %: total epochs spent when the best fully trained trial so far first came within 1 %
  (relative) of the target, infinite when it never did within the budget;
- share of budget: epochs to 1 % over the budget; "vs no pruning": epochs to 1 % over no pruning's
  own epochs to 1 % at the same seed (when no pruning first came within 1 % of its final best);
- full trainings: trials trained to the last epoch; trials: trials started.

It prints medians over seeds with the quartiles, counts of seeds meeting the 40 % target, and one line
per seed. With `--save FILE` each seed's rows are appended to FILE as a JSON line, and `--report FILE`
reprints the tables over every seed saved there (runs that added seeds with `--first-seed`).

    python benchmarks/pruning.py [--job tabular_mlp] [--seeds 20] [--first-seed 0] [--full-trials 40]
                                 [--epochs 27] [--processes 2] [--save FILE] [--report FILE]
"""

from __future__ import annotations

import os

# One BLAS thread per process: the seeds run in parallel processes instead.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studies.jobs import get_job  # noqa: E402
from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402
from studies.optimizers.pruners import get_pruner  # noqa: E402

TARGET_SHARE = 0.40


def methods(epochs: int) -> dict[str, tuple[str, dict]]:
    """The pruners compared, each with the settings a user would pick (the defaults)."""
    return {
        "none": ("none", {}),
        "asha": ("asha", {"min_resource": 1, "reduction_factor": 3}),
        "asha eta 4": ("asha", {"min_resource": 1, "reduction_factor": 4}),
        "hyperband": ("hyperband", {"min_resource": 1, "max_resource": epochs, "reduction_factor": 3}),
    }


class BudgetReporter:
    """The job's reporter: records the curve, asks the pruner, and stops when the budget is spent."""

    def __init__(self, pruner, number: int, curves: dict, epochs_left: int) -> None:
        self.pruner, self.number, self.curves, self.epochs_left = pruner, number, curves, epochs_left
        self.curve: list[tuple[int, float]] = []
        self.pruned = False

    def report(self, step: int, value: float) -> None:
        self.curve.append((step, value))
        others = {n: c for n, c in self.curves.items() if n != self.number}
        decision = self.pruner.should_prune(self.number, self.curve, others, "minimize")
        self.pruned = decision.prune or len(self.curve) >= self.epochs_left

    def should_prune(self) -> bool:
        return self.pruned


@dataclass(frozen=True)
class Run:
    finished: list[tuple[int, float]]  # (total epochs spent when it finished, final value), in order
    trials: int


def run_method(job, pruner_name: str, settings: dict, configs: list[dict], budget: int, epochs: int) -> Run:
    pruner = get_pruner(pruner_name, **settings)
    curves: dict[int, list] = {}
    used, finished = 0, []
    for number, params in enumerate(configs):
        if used >= budget:
            break
        reporter = BudgetReporter(pruner, number, curves, budget - used)
        curves[number] = reporter.curve
        job.fn(params, job.validate_settings({"epochs": epochs, "data_seed": 0}), reporter)
        used += len(reporter.curve)
        if reporter.curve and reporter.curve[-1][0] == epochs:
            finished.append((used, reporter.curve[-1][1]))
    return Run(finished, len(curves))


def epochs_to_reach(finished: list[tuple[int, float]], target: float) -> float:
    """Total epochs spent when a fully trained trial first reached `target`; inf if none did."""
    return next((used for used, value in finished if value <= target), math.inf)


def run_seed(job_name: str, seed: int, budget: int, epochs: int) -> dict:
    """Per method, this seed's best, epochs to within 1 % of no pruning's best, and counts."""
    job = get_job(job_name)
    space = SearchSpace.from_dict(job.space)
    optimizer = get_optimizer("random", space, direction="minimize", seed=seed)
    configs = [params for params, _info in optimizer.suggest_with_info(history=[], pending=[], n=budget)]
    runs = {m: run_method(job, name, s, configs, budget, epochs) for m, (name, s) in methods(epochs).items()}
    target = min(v for _, v in runs["none"].finished) * 1.01
    none_epochs = epochs_to_reach(runs["none"].finished, target)
    rows = {}
    for method, run in runs.items():
        reached = epochs_to_reach(run.finished, target)
        rows[method] = {
            "best": min((v for _, v in run.finished), default=math.inf),
            "epochs": reached,
            "share": reached / budget,
            "vs_none": reached / none_epochs,
            "full": len(run.finished),
            "trials": run.trials,
        }
    return {"job": job_name, "seed": seed, "budget": budget, "epochs": epochs, "rows": rows}


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(lower quartile, median, upper quartile); inf counts as the largest value."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    q1, _q2, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return q1, statistics.median(ordered), q3


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %" if math.isfinite(x) else "never"


def _num(x: float, fmt: str = "g") -> str:
    return format(x, fmt) if math.isfinite(x) else "never"


def print_report(results: list[dict]) -> None:
    per_seed = [result["rows"] for result in sorted(results, key=lambda r: r["seed"])]
    n = len(per_seed)
    print(
        "| pruner | best validation error, median [quartiles] | epochs to within 1 % of no pruning's best, "
        "median [quartiles] | share of budget | vs no pruning's epochs | seeds at most 40 % of budget | "
        "seeds at most 40 % of no pruning's epochs | seeds never within 1 % | full trainings | trials |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for method in per_seed[0]:
        column = {key: [seed[method][key] for seed in per_seed] for key in per_seed[0][method]}
        b1, best, b3 = quartiles(column["best"])
        e1, reached, e3 = quartiles(column["epochs"])
        within_budget = sum(share <= TARGET_SHARE for share in column["share"])
        within_none = sum(ratio <= TARGET_SHARE for ratio in column["vs_none"])
        never = sum(not math.isfinite(epochs) for epochs in column["epochs"])
        print(
            f"| {method} | {best:.4f} [{b1:.4f}, {b3:.4f}] | {_num(reached)} [{_num(e1)}, {_num(e3)}] | "
            f"{_pct(statistics.median(column['share']))} | {_pct(statistics.median(column['vs_none']))} | "
            f"{within_budget} of {n} | {within_none} of {n} | {never} | "
            f"{statistics.median(column['full']):g} | {statistics.median(column['trials']):g} |"
        )
    print("\nper seed: best / epochs to within 1 % of no pruning's best, for " + ", ".join(per_seed[0]))
    for result in sorted(results, key=lambda r: r["seed"]):
        cells = [f"{row['best']:.4f} / {_num(row['epochs'])}" for row in result["rows"].values()]
        print(f"  seed {result['seed']}: " + " | ".join(cells))


def load(path: str) -> list[dict]:
    """Saved seeds; one job, budget and epochs only, and the last run of a seed wins."""
    results = {}
    for line in Path(path).read_text().splitlines():
        result = json.loads(line)
        results[result["seed"]] = result
    if len({(r["job"], r["budget"], r["epochs"]) for r in results.values()}) > 1:
        raise SystemExit(f"{path} mixes jobs, budgets or epochs; report them from separate files")
    return list(results.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", default="tabular_mlp", help="a registered job with an `epochs` setting")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--full-trials", type=int, default=40, help="budget = this many full trainings")
    parser.add_argument("--epochs", type=int, default=27, help="epochs of a full training (max resource)")
    parser.add_argument("--processes", type=int, default=2, help="seeds run in parallel")
    parser.add_argument("--save", help="append each seed's rows to this JSON-lines file")
    parser.add_argument("--report", help="print the tables of the seeds saved in this file; run nothing")
    args = parser.parse_args()
    if args.report:
        results = load(args.report)
        first = results[0]
        print(f"$ python benchmarks/{Path(__file__).name} {shlex.join(sys.argv[1:])}")
        print(f"{first['job']}: budget {first['budget']} epochs per method, {len(results)} seeds\n")
        print_report(results)
        return
    budget = args.full_trials * args.epochs
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    started = time.monotonic()
    with multiprocessing.Pool(args.processes) as pool:
        results = pool.starmap(run_seed, [(args.job, seed, budget, args.epochs) for seed in seeds])
    elapsed = time.monotonic() - started
    if args.save:
        with open(args.save, "a") as saved:
            saved.writelines(json.dumps(result) + "\n" for result in results)

    print(f"$ python benchmarks/{Path(__file__).name} {shlex.join(sys.argv[1:])}")
    print(
        f"{args.job}: budget {budget} epochs per method ({args.full_trials} full trainings of "
        f"{args.epochs} epochs), {args.seeds} seeds; {elapsed:.0f} s, load {os.getloadavg()[0]:.1f}\n"
    )
    print_report(results)


if __name__ == "__main__":
    main()
