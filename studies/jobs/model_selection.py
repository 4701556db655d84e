"""A real conditional task: choose a model (SVM, gradient-boosted trees or an MLP) and its own
hyperparameters on scikit-learn's digits; the metric is the validation log loss (cross-entropy).

Log loss rather than the error rate: on 600 validation images the error moves in steps of 1/600 and the
good models of every branch tie on it, while the log loss still tells them apart.

The space is a tree: each model's parameters exist only when it is chosen, and the SVM's `degree`
only for the polynomial kernel. Sizes are kept small (600 training and 600 validation images, 20
boosting rounds, 50 MLP epochs) so one evaluation takes a few tenths of a second: the conditional
benchmark makes 2,000 of them on a shared 2-core machine.
"""

from __future__ import annotations

import warnings

from studies.jobs import Job, Reporter
from studies.optimizers.settings import INT32_MAX, Setting

SPACE = {
    "model": {"type": "categorical", "choices": ["svm", "hgb", "mlp"]},
    "svm_C": {"type": "float", "low": 1e-2, "high": 1e3, "log": True, "when": {"model": ["svm"]}},
    "svm_gamma": {"type": "float", "low": 1e-5, "high": 1.0, "log": True, "when": {"model": ["svm"]}},
    "svm_kernel": {"type": "categorical", "choices": ["rbf", "poly"], "when": {"model": ["svm"]}},
    "svm_degree": {"type": "int", "low": 2, "high": 5, "when": {"svm_kernel": ["poly"]}},
    "hgb_learning_rate": {"type": "float", "low": 1e-2, "high": 1.0, "log": True, "when": {"model": ["hgb"]}},
    "hgb_max_depth": {"type": "int", "low": 2, "high": 12, "when": {"model": ["hgb"]}},
    "hgb_max_leaf_nodes": {"type": "int", "low": 4, "high": 64, "log": True, "when": {"model": ["hgb"]}},
    "hgb_l2": {"type": "float", "low": 1e-6, "high": 10.0, "log": True, "when": {"model": ["hgb"]}},
    "mlp_units": {"type": "int", "low": 8, "high": 256, "log": True, "when": {"model": ["mlp"]}},
    "mlp_alpha": {"type": "float", "low": 1e-6, "high": 1.0, "log": True, "when": {"model": ["mlp"]}},
    "mlp_lr": {"type": "float", "low": 1e-4, "high": 0.3, "log": True, "when": {"model": ["mlp"]}},
}


def _split(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, train_size=600, test_size=600, random_state=seed, stratify=y)


def _model(params: dict, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    if params["model"] == "svm":
        degree = params.get("svm_degree", 3)
        kernel = params["svm_kernel"]
        return SVC(
            C=params["svm_C"],
            gamma=params["svm_gamma"],
            kernel=kernel,
            degree=degree,
            probability=True,
            random_state=seed,
        )
    if params["model"] == "hgb":
        return HistGradientBoostingClassifier(
            learning_rate=params["hgb_learning_rate"],
            max_depth=params["hgb_max_depth"],
            max_leaf_nodes=params["hgb_max_leaf_nodes"],
            l2_regularization=params["hgb_l2"],
            max_iter=20,
            early_stopping=False,
            random_state=seed,
        )
    return MLPClassifier(
        hidden_layer_sizes=(params["mlp_units"],),
        alpha=params["mlp_alpha"],
        learning_rate_init=params["mlp_lr"],
        max_iter=50,
        random_state=seed,
    )


def validation_loss(params: dict, seed: int = 0) -> float:
    """The chosen model's log loss on 600 held-out images (deterministic for a seed)."""
    from sklearn.metrics import log_loss
    from threadpoolctl import threadpool_limits

    x_train, x_val, y_train, y_val = _split(seed)
    # one thread: boosting's OpenMP threads spin-wait for each other on a busy machine (measured 50x slower)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an MLP that has not converged in its epochs is a valid trial
        model = _model(params, seed).fit(x_train, y_train)
    return float(log_loss(y_val, model.predict_proba(x_val), labels=model.classes_))


def train_model(params: dict, settings: dict, reporter: Reporter) -> float:
    return validation_loss(params, settings["data_seed"])


JOB = Job(
    "digits_models",
    train_model,
    "Model selection on scikit-learn's digits: an SVM, boosted trees or an MLP, each with its own "
    "hyperparameters (a conditional space); validation log loss.",
    space=SPACE,
    settings=(
        Setting(
            "data_seed", "int", 0, "Seed of the train/validation split and the models.", min=0, max=INT32_MAX
        ),
    ),
    metric="validation_loss",
)
