"""Grid search: every cell of a grid over the space, in an order shuffled by the seed, none twice.

The grid is never enumerated (see `cells`): a suggestion costs about the same whatever its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Optimizer, SearchExhausted
from .cells import free_points, grid_size
from .settings import Setting


class GridSearch(Optimizer):
    """Deterministic for a seed: the same shuffled cell order every call, skipping used cells."""

    name = "grid"
    MULTI_OBJECTIVE = True  # it reads no results
    SETTINGS = (
        Setting(
            "grid_points",
            "int",
            5,
            "Levels per numeric parameter without a step (ints may get fewer, one per integer).",
            min=2,
            max=1000,
        ),
    )

    def _suggest(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        used = [params for params, _ in history] + pending
        points = free_points(self.space, used, n, self.seed, self.settings["grid_points"])
        if not points:
            total = grid_size(self.space, self.settings["grid_points"])
            raise SearchExhausted(f"the grid of {total} points is fully used by finished and running trials")
        return [(params, {}) for params in points]

    def _unused_points(self, used: list[Mapping[str, Any]], n: int) -> list[dict[str, Any]]:
        """None: `_suggest` already returns every free cell there is, and nothing off the grid."""
        return []
