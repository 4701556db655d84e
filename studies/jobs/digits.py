"""A real training job: a multilayer perceptron on scikit-learn's bundled digits data set.

Each epoch is a reported step and the metric is the validation error rate, so it behaves like the
training people tune (noisy, learning-rate sensitive, early epochs informative for pruning).
"""

from __future__ import annotations

import warnings

import numpy as np

from studies.jobs import Job, Reporter
from studies.optimizers.settings import INT32_MAX, Setting


def _split(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, test_size=0.3, random_state=seed, stratify=y)


def train_mlp(params: dict, settings: dict, reporter: Reporter) -> float | None:
    from sklearn.neural_network import MLPClassifier

    x_train, x_val, y_train, y_val = _split(settings["data_seed"])
    model = MLPClassifier(
        hidden_layer_sizes=(params["units"],) * params["layers"],
        learning_rate_init=params["lr"],
        alpha=params["l2"],
        batch_size=params["batch_size"],
        random_state=settings["data_seed"],
    )
    classes = np.unique(y_train)
    rng = np.random.default_rng(settings["data_seed"])
    error = 1.0
    for epoch in range(1, settings["epochs"] + 1):
        order = rng.permutation(len(x_train))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(x_train[order], y_train[order], classes=classes)
        error = float(1.0 - model.score(x_val, y_val))
        reporter.report(epoch, error)
        if epoch < settings["epochs"] and reporter.should_prune():
            return None
    return error


JOB = Job(
    "digits_mlp",
    train_mlp,
    "Trains an MLP on scikit-learn's digits (1,797 8x8 images); one step per epoch; validation error.",
    space={
        "lr": {"type": "float", "low": 1e-4, "high": 0.3, "log": True},
        "units": {"type": "int", "low": 8, "high": 256, "log": True},
        "layers": {"type": "int", "low": 1, "high": 3},
        "l2": {"type": "float", "low": 1e-6, "high": 1e-1, "log": True},
        "batch_size": {"type": "int", "low": 16, "high": 256, "log": True},
    },
    settings=(
        Setting("epochs", "int", 20, "Training epochs; each is a learning-curve step.", min=1, max=10_000),
        Setting(
            "data_seed", "int", 0, "Seed of the train/validation split and the weights.", min=0, max=INT32_MAX
        ),
    ),
    metric="validation_error",
)
