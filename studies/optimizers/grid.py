"""Grid search: every cell of a grid over the space, in an order shuffled by the seed, none twice."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .base import Optimizer, SearchExhausted
from .settings import Setting
from .space import Parameter

_MAX_PERMUTED_CELLS = 2_000_000


def grid_levels(p: Parameter, grid_points: int) -> list[Any]:
    """The values a parameter takes on the grid.

    Categoricals: every choice. A float or int with an explicit step: every step. Otherwise
    `grid_points` evenly spaced values (in log space where `log`), snapped to integers for ints and
    deduplicated, so a small int range gives each of its integers once.
    """
    if p.is_categorical:
        return list(p.choices)
    if p.step is not None:
        return [p.snap(p.low + i * p.step) for i in range(p.n_levels)]
    if p.log:
        raw = np.exp(np.linspace(math.log(p.low), math.log(p.high), grid_points))
    else:
        raw = np.linspace(p.low, p.high, grid_points)
    levels = []
    for v in raw:
        value = p.snap(float(v))
        if value not in levels:
            levels.append(value)
    return levels


class GridSearch(Optimizer):
    """Deterministic for a seed: the same shuffled cell order every call, skipping used cells."""

    name = "grid"
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
        self, history: list[tuple[Mapping[str, Any], Any]], pending: list[Mapping[str, Any]], n: int
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        levels = [grid_levels(p, self.settings["grid_points"]) for p in self.space.parameters]
        sizes = [len(v) for v in levels]
        used = {self._cell_of(params, levels) for params in [h[0] for h in history] + pending}
        out = []
        for cell in self._cell_order(sizes):
            if cell in used:
                continue
            used.add(cell)
            params = {p.name: v[i] for p, v, i in zip(self.space.parameters, levels, cell, strict=True)}
            out.append((params, {}))
            if len(out) == n:
                return out
        if not out:
            raise SearchExhausted(
                f"the grid of {math.prod(sizes)} points is fully used by finished and running trials"
            )
        return out

    def _cell_of(self, params: Mapping[str, Any], levels: list[list[Any]]) -> tuple[int, ...] | None:
        """Level indices of the grid cell a point sits on, or None when it is off the grid."""
        cell = []
        for p, values in zip(self.space.parameters, levels, strict=True):
            if p.name not in params:
                return None
            if p.is_categorical:
                try:
                    cell.append(p.choice_index(params[p.name]))
                except ValueError:
                    return None
                continue
            u = p.to_unit(params[p.name])
            hits = [i for i, v in enumerate(values) if abs(p.to_unit(v) - u) < 1e-9]
            if not hits:
                return None
            cell.append(hits[0])
        return tuple(cell)

    def _cell_order(self, sizes: list[int]):
        """Every cell once, in a seed-shuffled order; huge grids are sampled instead of permuted."""
        total = math.prod(sizes)
        rng = np.random.default_rng(self.seed)
        if total <= _MAX_PERMUTED_CELLS:
            for flat in rng.permutation(total):
                yield tuple(int(i) for i in np.unravel_index(flat, sizes))
            return
        while True:
            yield tuple(int(rng.integers(s)) for s in sizes)
