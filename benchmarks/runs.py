"""Running a benchmark's independent runs in worker processes, saved as JSON lines so a long run can
be resumed and its tables printed again later.

A run is a tuple whose first items name it (problem, optimizer, setting, seed) and whose result is
the same tuple extended with what was measured; `key` says how many leading items name a run.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path


def read_saved(*paths: str) -> list[tuple]:
    """Every result saved in these JSON-lines files."""
    return [tuple(json.loads(line)) for path in paths for line in Path(path).read_text().splitlines()]


def run_all(
    run_one: Callable, tasks: list[tuple], processes: int, out: str | None, key: int = 4
) -> list[tuple]:
    """Run the tasks not yet saved in `out` (a resumed run repeats none), appending each result there;
    return this run's results and, when resuming, the ones saved before."""
    if out and Path(out).exists():
        done = {r[:key] for r in read_saved(out)}
        tasks = [t for t in tasks if tuple(t[:key]) not in done]
    print(f"# {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {len(tasks)} runs", flush=True)
    # one BLAS / torch thread per worker process, for every optimizer alike: fair, and no oversubscription
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    results = []
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for i, result in enumerate(pool.imap_unordered(run_one, tasks), 1):
            results.append(tuple(result))
            print(f"# {i}/{len(tasks)} {result}", file=sys.stderr, flush=True)
            if out:
                with open(out, "a") as f:
                    f.write(json.dumps(result) + "\n")
    return read_saved(out) if out else results


def grid_benchmark(
    doc: str,
    setting: tuple[str, str, type, str],
    optimizers: list[str],
    run_one: Callable,
    tables: Callable[[list, list[str], list[str]], str],
    all_problems: list[str] | None = None,
) -> None:
    """The command line of a benchmark whose runs are (problem, optimizer, setting, seed): each problem
    (the public ones unless `all_problems` names others) and optimizer at each value of one setting
    (`--q`, `--noise`: name, default, type, help)."""
    import argparse
    import shlex

    from benchmarks.optimizers import load_problems

    all_problems = all_problems or list(load_problems())
    option, default, kind, help_text = setting
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--problems", default=",".join(all_problems))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed of the run")
    parser.add_argument(f"--{option}", default=default, help=help_text)
    parser.add_argument("--optimizers", default=",".join(optimizers))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", help="also append each run's result to this JSON-lines file (resumes)")
    parser.add_argument("--tables", nargs="+", metavar="FILE", help="print the tables of saved results")
    args = parser.parse_args()
    print(f"$ python {sys.argv[0]} " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    if args.tables:
        results = read_saved(*args.tables)
        named = list(dict.fromkeys(r[0] for r in results))  # the listed problems first, then variants
        problems = [p for p in all_problems if p in named] + [p for p in named if p not in all_problems]
        print(tables(results, problems, list(dict.fromkeys(r[1] for r in results))))
        return
    problems, chosen = args.problems.split(","), args.optimizers.split(",")
    values = [kind(x) for x in getattr(args, option).split(",")]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = [(p, o, x, s) for s in seeds for x in values for p in problems for o in chosen]
    tasks.sort(key=lambda t: (t[1] == "optuna_gp", t[3]))  # the slowest last: a short run still compares
    saved = run_all(run_one, tasks, args.processes, args.out)
    results = [r for r in saved if r[0] in problems and r[1] in chosen and r[3] in seeds]
    print(tables(results, problems, chosen))
