"""A real training job that separates configurations: a numpy MLP on a synthetic tabular problem.

The data is scikit-learn's `make_classification` with a fixed seed (no download): 8,000 rows, 40
features (20 informative, 10 redundant), 10 classes of 2 clusters each, 5 % of the labels flipped;
4,000 rows train, 4,000 validate, so one example is 0.025 points of error. Unlike digits, where every
sensible configuration ends between 1 % and 2.5 % error, here they spread from under 40 % to over
60 % (a diverging learning rate stays at chance, 90 %), and an epoch costs milliseconds: what a
multi-fidelity benchmark over many seeds needs.

`tabular_mlp_cost` trains the same network and also says what it costs: its parameter count and
its training seconds, for a study that trades error against size or time (several objectives).
"""

from __future__ import annotations

import time

import numpy as np

from studies.jobs import Job, Reporter
from studies.optimizers.settings import INT32_MAX, Setting

N_CLASSES = 10
N_FEATURES = 40


def _data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val), features standardized with the training rows' statistics."""
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=8000,
        n_features=N_FEATURES,
        n_informative=20,
        n_redundant=10,
        n_classes=N_CLASSES,
        n_clusters_per_class=2,
        flip_y=0.05,
        random_state=seed,
    )
    train = slice(0, 4000)
    x = (x - x[train].mean(axis=0)) / x[train].std(axis=0)
    x = x.astype(np.float32)
    return x[train], y[train], x[4000:], y[4000:]


def _forward(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """The input and every hidden layer's ReLU activations, then the output logits."""
    activations = [x]
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        activations.append(np.maximum(activations[-1] @ w + b, 0.0))
    activations.append(activations[-1] @ weights[-1] + biases[-1])
    return activations


def _gradients(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, targets: np.ndarray, l2: float
) -> list[np.ndarray]:
    """Gradients of the mean softmax cross-entropy plus l2 * |W|^2 / 2: the weights', then the biases'."""
    activations = _forward(weights, biases, x)
    logits = activations[-1] - activations[-1].max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    delta = (probabilities - targets) / len(x)
    grads_w, grads_b = [], []
    for k in range(len(weights) - 1, -1, -1):
        grads_w.insert(0, activations[k].T @ delta + l2 * weights[k])
        grads_b.insert(0, delta.sum(axis=0))
        if k:
            delta = (delta @ weights[k].T) * (activations[k] > 0)
    return grads_w + grads_b


def train_mlp(params: dict, settings: dict, reporter: Reporter) -> float | None:
    """Adam (default betas) on mini-batches; reports the validation error after every epoch."""
    x_train, y_train, x_val, y_val = _data(settings["data_seed"])
    rng = np.random.default_rng(settings["data_seed"])
    sizes = [x_train.shape[1], *[params["units"]] * params["layers"], N_CLASSES]
    weights = [
        (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    biases = [np.zeros(n_out, np.float32) for n_out in sizes[1:]]
    first, second = [np.zeros_like(p) for p in weights + biases], [np.zeros_like(p) for p in weights + biases]
    one_hot = np.eye(N_CLASSES, dtype=np.float32)
    beta1, beta2, updates, error = 0.9, 0.999, 0, 1.0
    # A diverging learning rate overflows to inf/NaN; that configuration then predicts one class.
    with np.errstate(all="ignore"):
        for epoch in range(1, settings["epochs"] + 1):
            order = rng.permutation(len(x_train))
            for start in range(0, len(order), params["batch_size"]):
                batch = order[start : start + params["batch_size"]]
                grads = _gradients(weights, biases, x_train[batch], one_hot[y_train[batch]], params["l2"])
                updates += 1
                step_size = params["lr"] * np.sqrt(1 - beta2**updates) / (1 - beta1**updates)
                for param, grad, m, v in zip(weights + biases, grads, first, second, strict=True):
                    m += (1 - beta1) * (grad - m)
                    v += (1 - beta2) * (grad * grad - v)
                    param -= step_size * m / (np.sqrt(v) + 1e-8)
            error = float(np.mean(_forward(weights, biases, x_val)[-1].argmax(axis=1) != y_val))
            reporter.report(epoch, error)
            if epoch < settings["epochs"] and reporter.should_prune():
                return None
    return error


def parameter_count(params: dict) -> int:
    """Weights and biases of the network `params` describe."""
    sizes = [N_FEATURES, *[params["units"]] * params["layers"], N_CLASSES]
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))


def train_mlp_with_cost(params: dict, settings: dict, reporter: Reporter) -> dict[str, float] | None:
    """`train_mlp`'s validation error with the network's size and the wall seconds training took."""
    started = time.perf_counter()
    error = train_mlp(params, settings, reporter)
    if error is None:
        return None
    return {
        "validation_error": error,
        "n_parameters": float(parameter_count(params)),
        "train_seconds": time.perf_counter() - started,
    }


SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 0.3, "log": True},
    "units": {"type": "int", "low": 16, "high": 128, "log": True},
    "layers": {"type": "int", "low": 1, "high": 2},
    "l2": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
    "batch_size": {"type": "int", "low": 32, "high": 512, "log": True},
}
SETTINGS = (
    Setting("epochs", "int", 27, "Training epochs; each is a learning-curve step.", min=1, max=10_000),
    Setting("data_seed", "int", 0, "Seed of the data set and the weights.", min=0, max=INT32_MAX),
)

JOB = Job(
    "tabular_mlp",
    train_mlp,
    "Trains a numpy MLP on a synthetic 10-class tabular problem (8,000 rows, 40 features, 5 % label "
    "noise); one step per epoch; validation error on 4,000 rows.",
    space=SPACE,
    settings=SETTINGS,
    metric="validation_error",
)

COST_JOB = Job(
    "tabular_mlp_cost",
    train_mlp_with_cost,
    "tabular_mlp with its cost: returns validation_error, n_parameters and train_seconds, for a "
    "study with several objectives (for example validation_error against n_parameters, both minimised).",
    space=SPACE,
    settings=SETTINGS,
    metric="validation_error",
    objectives=(
        {"metric": "validation_error", "direction": "minimize"},
        {"metric": "n_parameters", "direction": "minimize"},
    ),
)
