"""Cost of one pruning decision: SQL queries and time of `services.prune_decision`.

Builds the demo study (`studies.demo`: `--trials` finished trials with `--steps` curve points each) in
a fresh SQLite database in a temporary folder, adds one running trial whose curve ends at the median
final value, and reports it one step at a time, asking `services.prune_decision` after each report as
a worker does, for each pruner at its default settings (Hyperband with max_resource = steps). Prints,
per pruner, the queries per decision, the median and total time over the curve, and a digest of the
decisions (prune and reason), which must not change when the implementation does.

    .venv/bin/python benchmarks/prune_speed.py [--trials 300] [--steps 50]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time

from scratch_django import setup_scratch_django


def measure(n_trials: int, steps: int) -> list[tuple]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from studies import services
    from studies.demo import _curve, create_demo_study
    from studies.models import Attempt, Trial, TrialMetric

    owner = get_user_model().objects.create_user("bench", password="bench")
    study = create_demo_study(owner, n_trials, steps)
    finals = study.trials.exclude(value=None).values_list("value", flat=True)
    trial = Trial.objects.create(study=study, number=n_trials + 1, params={}, state=Trial.State.RUNNING)
    attempt = Attempt.objects.create(trial=trial, number=1)
    Trial.objects.filter(pk=trial.pk).update(attempt=attempt)
    # A middling trial: the median final value, so the pruners' decisions go both ways.
    curve = _curve(statistics.median(finals), steps)
    rows = []
    for pruner, settings in [
        ("median", {}),
        ("asha", {}),
        ("hyperband", {"max_resource": steps}),
    ]:
        study.pruner, study.pruner_settings = pruner, settings
        study.save(update_fields=["pruner", "pruner_settings"])
        TrialMetric.objects.filter(attempt=attempt).delete()
        queries, times, decisions = 0, [], []
        for step, value in enumerate(curve, start=1):
            TrialMetric.objects.create(trial=trial, attempt=attempt, step=step, value=value)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                decisions.append(services.prune_decision(attempt.pk))
                times.append(time.perf_counter() - started)
            queries += len(captured)
        digest = hashlib.sha256(repr(decisions).encode()).hexdigest()[:12]
        pruned_at = next((s for s, (prune, _) in enumerate(decisions, start=1) if prune), None)
        rows.append((pruner, queries / steps, statistics.median(times), sum(times), pruned_at, digest))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpoweb-prune-") as data_dir:
        setup_scratch_django(data_dir)
        rows = measure(args.trials, args.steps)
    print(f"$ python benchmarks/prune_speed.py --trials {args.trials} --steps {args.steps}")
    print(f"load {os.getloadavg()[0]:.1f}\n")
    print(
        "| pruner | queries per decision | median ms per decision | ms over the curve | "
        "would prune at step | decisions digest |"
    )
    print("|---|---|---|---|---|---|")
    for pruner, queries, median, total, pruned_at, digest in rows:
        print(
            f"| {pruner} | {queries:.2f} | {1000 * median:.1f} | {1000 * total:.0f} | "
            f"{pruned_at} | {digest} |"
        )


if __name__ == "__main__":
    main()
