"""Optimizer names -> classes; adding an optimizer is one import and one line in `_CLASSES`."""

from __future__ import annotations

from typing import Any

from .base import Optimizer
from .cmaes import CMAES
from .gp import GPOptimizer
from .grid import GridSearch
from .nsga2 import NSGA2
from .random_search import RandomSearch
from .settings import Setting
from .space import SearchSpace
from .tpe import TPE

_CLASSES: dict[str, type[Optimizer]] = {
    "random": RandomSearch,
    "grid": GridSearch,
    "gp": GPOptimizer,
    "tpe": TPE,
    "cmaes": CMAES,
    "nsga2": NSGA2,
}

# name -> settings schema; the web form and the API build their setting fields from it.
OPTIMIZERS: dict[str, tuple[Setting, ...]] = {name: cls.SETTINGS for name, cls in _CLASSES.items()}


def get_optimizer(
    name: str, space: SearchSpace, direction: str = "minimize", seed: int = 0, **settings: Any
) -> Optimizer:
    """An optimizer by name; ValueError for an unknown optimizer, SettingError for a bad setting."""
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(_CLASSES)}")
    return _CLASSES[name](space, direction=direction, seed=seed, **settings)
