"""hpoweb's optimizers: pure numpy/scipy, stateless, no Django (see tests/optimizers/test_imports.py)."""

from __future__ import annotations

from .base import Optimizer, SearchExhausted
from .registry import OPTIMIZERS, get_optimizer
from .settings import Setting, SettingError
from .space import Parameter, SearchSpace, SpaceError

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "Parameter",
    "SearchExhausted",
    "SearchSpace",
    "Setting",
    "SettingError",
    "SpaceError",
    "get_optimizer",
]
