"""hpoweb's optimizers: pure numpy/scipy, stateless, no Django (see tests/optimizers/test_imports.py)."""

from __future__ import annotations

from .base import Optimizer, SearchExhausted
from .registry import OPTIMIZERS, get_optimizer
from .space import Parameter, SearchSpace

__all__ = ["OPTIMIZERS", "Optimizer", "Parameter", "SearchExhausted", "SearchSpace", "get_optimizer"]
