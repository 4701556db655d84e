"""Train an MLP on scikit-learn's digits for an hpoweb study whose job is "external workers".

Run it on any machine that can reach hpoweb, as many copies as you like (each takes one trial at a
time); it stops when the study is finished:

    pip install scikit-learn numpy                # and copy hpoweb_client.py next to this file
    export HPOWEB_TOKEN=...                       # python manage.py create_token USERNAME
    python train_external.py --url http://hpoweb:8000 --study 7 [--epochs 27]

The study's space names this script's parameters: lr (float, log), units (int), l2 (float, log),
batch_size (int); see docs/external-workers.md. One epoch is one learning-curve step, so a study with
a pruner (median, ASHA, Hyperband) stops hopeless trials early.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # hpoweb_client.py, in a checkout

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from hpoweb_client import Client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--study", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=27)
    args = parser.parse_args()

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    classes = np.unique(y_train)

    client = Client(args.url, os.environ["HPOWEB_TOKEN"])
    for trial in client.trials(args.study):
        p = trial.params
        print(f"trial {trial.number}: {p}", flush=True)
        model = MLPClassifier(
            hidden_layer_sizes=(p["units"],),
            learning_rate_init=p["lr"],
            alpha=p["l2"],
            batch_size=p["batch_size"],
            random_state=0,
        )
        rng = np.random.default_rng(0)
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(x_train))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.partial_fit(x_train[order], y_train[order], classes=classes)
            error = 1.0 - model.score(x_val, y_val)
            trial.report(epoch, error)  # also tells hpoweb this worker is alive
            if trial.should_prune():
                print(f"  pruned at epoch {epoch}: {trial.prune_reason or trial.lost}", flush=True)
                break  # leaving the loop body without tell() reports the trial as pruned
        else:
            trial.tell(error)
            print(f"  validation error {error:.4f}", flush=True)


if __name__ == "__main__":
    main()
