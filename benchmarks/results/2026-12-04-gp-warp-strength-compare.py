"""Before / after table of two saved runs, seed by seed (the learned warp strength, 2026-12-04).

    python 2026-12-04-gp-warp-strength-compare.py BEFORE AFTER [--level]

Rows are keyed by problem (and, with --level, by the noise level, q or dimension in the row's third
place); each line: seeds in common, median [quartiles] before and after, after worse / better on,
and the two-sided Wilcoxon signed-rank p.
"""

import argparse
import collections
import json

import numpy as np
from scipy.stats import wilcoxon


def load(path: str, level: bool) -> dict:
    runs = collections.defaultdict(dict)
    for line in open(path):
        row = json.loads(line)
        if isinstance(row, dict):
            regret = row["regret"] if "regret" in row else min(row["losses"]) - row["optimum"]
            runs[(row["problem"],)][row["seed"]] = regret
        elif level:
            runs[(row[0], row[2])][row[3]] = row[4]
        else:
            runs[(row[0],)][row[2]] = row[4]
    return runs


def spread(values: np.ndarray) -> str:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return f"{q2:.3g} [{q1:.2g}, {q3:.2g}]"


parser = argparse.ArgumentParser()
parser.add_argument("before")
parser.add_argument("after")
parser.add_argument("--level", action="store_true")
args = parser.parse_args()
before, after = load(args.before, args.level), load(args.after, args.level)
for key in sorted(after):
    seeds = sorted(set(before.get(key, {})) & set(after[key]))
    if not seeds:
        continue
    x = np.array([before[key][s] for s in seeds])
    y = np.array([after[key][s] for s in seeds])
    p = wilcoxon(x, y).pvalue if (x != y).any() else 1.0
    name = " | ".join(str(k) for k in key)
    print(f"| {name} | {len(seeds)} | {spread(x)} | {spread(y)} | {(y > x).sum()} / {(y < x).sum()} (p = {p:.2g}) |")
