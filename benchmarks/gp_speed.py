"""GP speed: seconds per suggestion of hpoweb "gp" and Optuna's GPSampler, side by side, on equal histories.

Histories are random points of a problem's space with the problem's values. As in a running study, the
history grows by one trial before each timed suggestion, so GPSampler warm-starts its kernel fit from
the previous ask as it does in use (hpoweb is stateless and refits). The two are timed alternately on
the same histories, so a change of load hits both; each figure is the median of `--repeats` timed
suggestions after one untimed warm-up (imports, caches). Both run on one thread: every thread pool of
the process (torch's OpenMP, numpy's and scipy's OpenBLAS) is limited to one. GPSampler limits only
torch, and only inside its fit and acquisition search; the other pools' spare threads spin-wait, and
on a loaded machine that made its times swing up to 9x from run to run (and slowed hpoweb, in the same
process, 2x). hpoweb alone continues to larger histories to show how the cost grows past 1,000 trials.

    python benchmarks/gp_speed.py [--repeats 9] [--large 1000,2000,5000]
    python benchmarks/gp_speed.py --cases hartmann6_50d:100,hartmann6_50d:200 --large ''
    python benchmarks/gp_speed.py --cpu 100 --cases hartmann6:100       # hpoweb's CPU time only

`hartmann6_50d` is Hartmann-6 on 6 of 50 parameters (benchmarks/high_dim.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import time
import warnings

import numpy as np
from optimizers import ROOT, load_problems

sys.path.insert(0, str(ROOT))

from studies.optimizers import SearchSpace, get_optimizer  # noqa: E402


def history_for(problem: str, n: int, seed: int = 0):
    if problem == "rosenbrock20":
        from optimizers import problems_module

        names, f = problems_module().rosenbrock(20)
        space_spec = {name: {"type": "float", "low": -5.0, "high": 10.0} for name in names}
    elif problem == "hartmann6_50d":
        from high_dim import make_problem

        space_spec, f, _, _ = make_problem("hartmann6", 50, seed)
    else:
        space_spec, f, _, _ = load_problems()[problem]
    space = SearchSpace.from_dict(space_spec)
    points = get_optimizer("random", space, seed=seed).suggest(n=n)
    return space_spec, space, [(p, f(p)) for p in points]


def time_side_by_side(space_spec: dict, space: SearchSpace, history: list, n: int, repeats: int):
    """(Optuna's times, hpoweb's times): suggestion i sees the first n + i trials of `history`."""
    import optuna
    from optimizers import optuna_distributions

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dists = optuna_distributions(space_spec)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))

    def add(p, v):
        study.add_trial(optuna.trial.create_trial(params=p, distributions=dists, value=v))

    def optuna_ask() -> float:
        t0 = time.perf_counter()
        trial = study.ask(dists)
        elapsed = time.perf_counter() - t0
        study.tell(trial, state=optuna.trial.TrialState.FAIL)  # not left running: it would be a pending point
        return elapsed

    def hpoweb_suggest(size: int) -> float:
        t0 = time.perf_counter()
        get_optimizer("gp", space, seed=size).suggest(history=history[:size])
        return time.perf_counter() - t0

    for p, v in history[: n - 1]:
        add(p, v)
    optuna_ask(), hpoweb_suggest(n - 1)  # warm-up
    theirs, ours = [], []
    for i in range(repeats):
        add(*history[n - 1 + i])
        if i % 2:
            theirs.append(optuna_ask())
            ours.append(hpoweb_suggest(n + i))
        else:
            ours.append(hpoweb_suggest(n + i))
            theirs.append(optuna_ask())
    return np.array(theirs), np.array(ours)


def time_hpoweb(space: SearchSpace, history: list, repeats: int) -> float:
    times = []
    for seed in range(repeats + 1):
        t0 = time.perf_counter()
        get_optimizer("gp", space, seed=seed).suggest(history=history)
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def cpu_per_suggestion(space: SearchSpace, history: list, n: int, count: int) -> float:
    """CPU seconds (process time) per suggestion over `count` suggestions on the first n to n + 4
    trials, after a warm-up: on a shared machine, unlike wall time, it leaves out what other processes
    take, so two commits run one after the other compare within a few percent."""
    get_optimizer("gp", space, seed=0).suggest(history=history[:n])
    t0 = time.process_time()
    for i in range(count):
        get_optimizer("gp", space, seed=i).suggest(history=history[: n + i % 5])
    return (time.process_time() - t0) / count


def _spread(times: np.ndarray) -> str:
    return f"{np.median(times):.3f} ({times.min():.3f}-{times.max():.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--large", default="1000,2000,5000", help="history sizes timed for hpoweb only")
    parser.add_argument(
        "--cases",
        default="hartmann6:100,hartmann6:500,rosenbrock20:100,rosenbrock20:500,mlp_surrogate:100,"
        "mlp_surrogate:500,hartmann6_50d:100,hartmann6_50d:200",
        help="problem:trials pairs timed side by side",
    )
    parser.add_argument("--cpu", type=int, default=0, help="hpoweb only: CPU time over this many suggestions")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)  # after the imports: it limits the libraries loaded so far
    print("$ python benchmarks/gp_speed.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    now = datetime.datetime.now(datetime.UTC)
    print(f"# {now:%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}")
    cases = [(problem, int(n)) for problem, n in (case.split(":") for case in args.cases.split(",") if case)]
    if args.cpu:
        for problem, n in cases:
            _, space, history = history_for(problem, n + 4)
            ms = cpu_per_suggestion(space, history, n, args.cpu) * 1e3
            print(f"{problem} ({len(space)}) {n} trials: {ms:.2f} ms CPU per suggestion", flush=True)
        return
    print("| problem (d) | trials | Optuna GPSampler s (range) | hpoweb gp s (range) | speed-up |")
    print("|---|---:|---:|---:|---:|")
    for problem, n in cases:
        space_spec, space, history = history_for(problem, n + args.repeats)
        theirs, ours = time_side_by_side(space_spec, space, history, n, args.repeats)
        print(
            f"| {problem} ({len(space)}) | {n} | {_spread(theirs)} | {_spread(ours)} | "
            f"{np.median(theirs) / np.median(ours):.1f}x |",
            flush=True,
        )
    for problem in ("hartmann6", "mlp_surrogate"):
        for n in [int(x) for x in args.large.split(",") if x]:
            _, space, history = history_for(problem, n)
            ours = time_hpoweb(space, history, args.repeats)
            print(f"| {problem} ({len(space)}) | {n} | - | {ours:.3f} | - |", flush=True)


if __name__ == "__main__":
    main()
