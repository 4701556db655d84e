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
