"""What every optimizer shares: settings parsing, history cleaning and the suggest contract."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .settings import Setting, parse_settings
from .space import SearchSpace

History = Sequence[tuple[Mapping[str, Any], float | None]]
Pending = Sequence[Mapping[str, Any]]


class SearchExhausted(Exception):
    """The optimizer cannot return any new point (for example every grid cell is used)."""


def clean_value(value: Any) -> float:
    """A history value as a float, NaN for a failed trial (None, NaN, +-inf or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


class Optimizer:
    """Stateless: everything a suggestion depends on is the constructor's arguments and `suggest`'s."""

    name: ClassVar[str]
    SETTINGS: ClassVar[tuple[Setting, ...]] = ()

    def __init__(
        self, space: SearchSpace, direction: str = "minimize", seed: int = 0, **settings: Any
    ) -> None:
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.space = space
        self.direction = direction
        self.seed = int(seed)
        self.settings = parse_settings(f"optimizer {self.name!r}", self.SETTINGS, settings)

    def suggest(self, history: History = (), pending: Pending = (), n: int = 1) -> list[dict[str, Any]]:
        """At most n new points; raises SearchExhausted when there is none at all."""
        return [params for params, _ in self.suggest_with_info(history=history, pending=pending, n=n)]

    def suggest_with_info(
        self, history: History = (), pending: Pending = (), n: int = 1
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Like `suggest`, each point with JSON-serializable facts about why it was chosen."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        return self._suggest(list(history), list(pending), n)

    def _suggest(
        self, history: list[tuple[Mapping[str, Any], Any]], pending: list[Mapping[str, Any]], n: int
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        raise NotImplementedError

    def losses(self, history: History) -> np.ndarray:
        """History values as losses (lower is better), NaN where the trial failed."""
        sign = -1.0 if self.direction == "maximize" else 1.0
        return np.array([sign * clean_value(v) for _, v in history], dtype=float)
