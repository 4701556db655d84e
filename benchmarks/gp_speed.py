"""GP speed: seconds per suggestion of hpoweb "gp" and Optuna's GPSampler, side by side, on equal histories.

Histories are random points of a problem's space with the problem's values; each timing is the median
of `--repeats` suggestions after one untimed warm-up (imports, thread pools). hpoweb alone continues to
larger histories to show how the cost grows past 1,000 trials.

    python benchmarks/gp_speed.py [--repeats 3] [--large 1000,2000,5000]
"""

from __future__ import annotations

import argparse
import datetime
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
        import importlib.util

        from optimizers import PROBLEMS_PATH

        spec = importlib.util.spec_from_file_location("bench_problems", PROBLEMS_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names, f = module.rosenbrock(20)
        space_spec = {name: {"type": "float", "low": -5.0, "high": 10.0} for name in names}
    else:
        space_spec, f, _, _ = load_problems()[problem]
    space = SearchSpace.from_dict(space_spec)
    points = get_optimizer("random", space, seed=seed).suggest(n=n)
    return space_spec, space, [(p, f(p)) for p in points]


def time_hpoweb(space: SearchSpace, history: list, repeats: int) -> float:
    times = []
    for seed in range(repeats + 1):
        t0 = time.perf_counter()
        get_optimizer("gp", space, seed=seed).suggest(history=history)
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def time_optuna(space_spec: dict, history: list, repeats: int) -> float:
    import optuna
    from optimizers import optuna_distributions

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dists = optuna_distributions(space_spec)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
    study.add_trials([optuna.trial.create_trial(params=p, distributions=dists, value=v) for p, v in history])
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - t0)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return float(np.median(times[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", default="1000,2000,5000", help="history sizes timed for hpoweb only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    print("$ python benchmarks/gp_speed.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    print(f"# {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print("| problem (d) | trials | Optuna GPSampler s | hpoweb gp s | speed-up |")
    print("|---|---:|---:|---:|---:|")
    cases = [
        ("hartmann6", 100),
        ("hartmann6", 500),
        ("rosenbrock20", 100),
        ("rosenbrock20", 500),
        ("mlp_surrogate", 100),
        ("mlp_surrogate", 500),
    ]
    for problem, n in cases:
        space_spec, space, history = history_for(problem, n)
        ours = time_hpoweb(space, history, args.repeats)
        theirs = time_optuna(space_spec, history, args.repeats)
        print(
            f"| {problem} ({len(space)}) | {n} | {theirs:.3f} | {ours:.3f} | {theirs / ours:.1f}x |",
            flush=True,
        )
    for problem in ("hartmann6", "mlp_surrogate"):
        for n in [int(x) for x in args.large.split(",") if x]:
            _, space, history = history_for(problem, n)
            ours = time_hpoweb(space, history, args.repeats)
            print(f"| {problem} ({len(space)}) | {n} | - | {ours:.3f} | - |", flush=True)


if __name__ == "__main__":
    main()
