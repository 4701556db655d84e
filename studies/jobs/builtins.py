"""Synthetic benchmark functions as jobs that behave like training: a duration, steps, noise.

Values match ../shared/bench/problems.py exactly (a test checks it); with `noise` 0 the result is a
pure function of the params, which the reliability tests rely on.
"""

from __future__ import annotations

import math
import time
import zlib

import numpy as np

from studies.jobs import Job, Reporter
from studies.optimizers.settings import Setting


def branin(p: dict) -> float:
    x, y = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _vector(p: dict, d: int) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(1, d + 1)], dtype=float)


def hartmann6(p: dict) -> float:
    x = _vector(p, 6)
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def rosenbrock4(p: dict) -> float:
    x = _vector(p, 4)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley5(p: dict) -> float:
    x = _vector(p, 5)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.mean(x**2))) - np.exp(np.mean(np.cos(2 * np.pi * x))) + 20 + np.e
    )


def mlp_surrogate(p: dict) -> float:
    """A made-up validation loss: lr matters multiplicatively and its best value depends on the optimizer."""
    shift = {"sgd": 0.0, "adam": -1.6, "rmsprop": -1.3}[p["optimizer"]]
    base = {"sgd": 0.08, "adam": 0.0, "rmsprop": 0.03}[p["optimizer"]]
    return (
        0.05
        + base
        + 0.35 * (math.log10(p["lr"]) - (-1.5 + shift)) ** 2
        + 0.04 * (p["layers"] - 4) ** 2
        + 0.15 * (math.log2(p["units"]) - 7) ** 2 / 4
        + 0.05 * (math.log10(p["weight_decay"]) + 4) ** 2 / 4
        + 0.6 * (p["dropout"] - 0.2) ** 2
    )


def jenatton(p: dict) -> float:
    """Jenatton et al. (2017): x1, then x2 or x3, choose which leaf is active; minimum 0.1."""
    if p["x1"] == 0:
        return (p["x4"] ** 2 + 0.1 if p["x2"] == 0 else p["x5"] ** 2 + 0.2) + p["r8"]
    return (p["x6"] ** 2 + 0.3 if p["x3"] == 0 else p["x7"] ** 2 + 0.4) + p["r9"]


def _jenatton_space() -> dict:
    def leaf(**when: list) -> dict:
        return {"type": "float", "low": -1.0, "high": 1.0, "log": False, "when": when}

    return {
        "x1": {"type": "categorical", "choices": [0, 1]},
        "x2": {"type": "categorical", "choices": [0, 1], "when": {"x1": [0]}},
        "x3": {"type": "categorical", "choices": [0, 1], "when": {"x1": [1]}},
        "x4": leaf(x2=[0]),
        "x5": leaf(x2=[1]),
        "x6": leaf(x3=[0]),
        "x7": leaf(x3=[1]),
        "r8": {"type": "float", "low": 0.0, "high": 1.0, "log": False, "when": {"x1": [0]}},
        "r9": {"type": "float", "low": 0.0, "high": 1.0, "log": False, "when": {"x1": [1]}},
    }


def _floats(names: list[str], low: float, high: float) -> dict:
    return {n: {"type": "float", "low": low, "high": high, "log": False} for n in names}


def _xs(d: int) -> list[str]:
    return [f"x{i}" for i in range(1, d + 1)]


SPACES = {
    "branin": {
        "x1": {"type": "float", "low": -5.0, "high": 10.0},
        "x2": {"type": "float", "low": 0.0, "high": 15.0},
    },
    "hartmann6": _floats(_xs(6), 0.0, 1.0),
    "rosenbrock4": _floats(_xs(4), -5.0, 10.0),
    "ackley5": _floats(_xs(5), -20.0, 45.0),
    "mlp_surrogate": {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "weight_decay": {"type": "float", "low": 1e-7, "high": 1e-1, "log": True},
        "dropout": {"type": "float", "low": 0.0, "high": 0.7},
        "layers": {"type": "int", "low": 1, "high": 8},
        "units": {"type": "int", "low": 16, "high": 1024, "log": True},
        "optimizer": {"type": "categorical", "choices": ["sgd", "adam", "rmsprop"]},
    },
    "jenatton": _jenatton_space(),
}

SETTINGS = (
    Setting(
        "duration_s", "float", 0.0, "Seconds the job takes, spread over its steps.", min=0.0, max=86400.0
    ),
    Setting("steps", "int", 0, "Learning-curve points reported before the result.", min=0, max=100_000),
    Setting(
        "noise", "float", 0.0, "Standard deviation of Gaussian noise added to the result.", min=0.0, max=1e6
    ),
    Setting(
        "fail_rate", "float", 0.0, "Probability that the job raises, to rehearse failures.", min=0.0, max=1.0
    ),
)


def _params_seed(params: dict) -> int:
    return zlib.crc32(repr(sorted(params.items())).encode())


def as_training(objective):
    """Wrap a pure objective so it sleeps, reports a converging curve and adds noise like training."""

    def job(params: dict, settings: dict, reporter: Reporter) -> float:
        rng = np.random.default_rng(_params_seed(params))
        if settings["fail_rate"] and rng.random() < settings["fail_rate"]:
            raise RuntimeError("simulated training failure (fail_rate)")
        final = objective(params) + (
            settings["noise"] * float(rng.standard_normal()) if settings["noise"] else 0.0
        )
        steps = settings["steps"]
        pause = settings["duration_s"] / max(steps, 1)
        for step in range(1, steps + 1):
            time.sleep(pause)
            reporter.report(
                step, final + (abs(final) + 1.0) * math.exp(-4.0 * step / steps) * (1 - step / steps)
            )
            if step < steps and reporter.should_prune():
                return None
        if not steps and pause:
            time.sleep(pause)
        return final

    return job


JOBS = [
    Job(name, as_training(fn), doc, space=SPACES[name], settings=SETTINGS)
    for name, fn, doc in [
        ("branin", branin, "Branin (2-D), minimum 0.397887."),
        ("hartmann6", hartmann6, "Hartmann (6-D), minimum -3.32237."),
        ("rosenbrock4", rosenbrock4, "Rosenbrock (4-D) on the usual box, minimum 0."),
        ("ackley5", ackley5, "Ackley (5-D) on an off-centre box, minimum 0."),
        (
            "mlp_surrogate",
            mlp_surrogate,
            "A neural-net-shaped surrogate: log floats, ints and a categorical.",
        ),
        ("jenatton", jenatton, "Jenatton et al. (2017), a conditional (tree) space, minimum 0.1."),
    ]
]
