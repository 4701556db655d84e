"""The cells of a grid over a search space, in a seeded shuffled order, without listing them.

A cell is a number in [0, total) read as mixed-radix digits (one per parameter, the last fastest),
and the shuffled order is a seeded bijection of [0, total) that is computed, and inverted, one
number at a time. The used points are mapped back to their positions in that order and the free
cells are the first positions not among them, so finding them costs O(used) whatever the grid's size.

In a conditional space a point is the cell whose inactive parameters are at level 0 (its canonical
cell); the other cells of the product repeat it and are skipped, so every leaf of the tree comes once.
That walk costs O(cells of the product) in the worst case, not O(used).
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .space import Parameter, SearchSpace

_FEISTEL_ROUNDS = 4


def spaced_levels(p: Parameter, grid_points: int) -> list[Any]:
    """`grid_points` evenly spaced values (in log space where `log`) of a parameter without a step,
    snapped to integers for ints and deduplicated, so a small int range gives each integer once."""
    if p.log:
        raw = np.exp(np.linspace(math.log(p.low), math.log(p.high), grid_points))
    else:
        raw = np.linspace(p.low, p.high, grid_points)
    return list(dict.fromkeys(p.snap(float(v)) for v in raw))


class _Axis:
    """The values of one parameter on the grid, by index: every choice, every step of a stepped
    parameter (never listed), or `spaced_levels` for the others; with `grid_points` None, every
    integer of an int without a step too."""

    def __init__(self, p: Parameter, grid_points: int | None) -> None:
        self.p = p
        native = p.is_categorical or p.step is not None or (grid_points is None and p.n_levels)
        self.spaced = () if native else tuple(spaced_levels(p, grid_points))
        self.size = len(self.spaced) or p.n_levels
        self._spaced_index = {round(p.to_unit(v), 9): i for i, v in enumerate(self.spaced)}

    def value(self, i: int) -> Any:
        if self.spaced:
            return self.spaced[i]
        if self.p.is_categorical:
            return self.p.choices[i]
        return self.p.snap(self.p.low + i * self.p.grid_step)

    def index(self, value: Any) -> int | None:
        """The level index of a value, or None when the value is not on this axis."""
        p = self.p
        try:
            p.validate_value(value)
        except ValueError:
            return None
        if self.spaced:
            return self._spaced_index.get(round(p.to_unit(value), 9))
        return p.point_keys([value])[0]


class _ShuffledOrder:
    """A seeded bijection of [0, n): a balanced Feistel network on the smallest even number of bits
    that holds n, walking the cycle until the result falls below n (fewer than 4 steps on average)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.half = (max(2, (n - 1).bit_length()) + 1) // 2
        self.mask = (1 << self.half) - 1
        self.width = (self.half + 7) // 8
        self.keys = [f"hpoweb-grid/{seed}/{r}/".encode() for r in range(_FEISTEL_ROUNDS)]

    def at(self, position: int) -> int:
        """The cell number at a position of the order."""
        x = self._encrypt(position)
        while x >= self.n:
            x = self._encrypt(x)
        return x

    def position(self, cell: int) -> int:
        """The position of a cell number in the order (the inverse of `at`)."""
        x = self._decrypt(cell)
        while x >= self.n:
            x = self._decrypt(x)
        return x

    def _mix(self, r: int, x: int) -> int:
        digest = hashlib.shake_256(self.keys[r] + x.to_bytes(self.width, "little")).digest(self.width)
        return int.from_bytes(digest, "little") & self.mask

    def _encrypt(self, x: int) -> int:
        left, right = x >> self.half, x & self.mask
        for r in range(_FEISTEL_ROUNDS):
            left, right = right, left ^ self._mix(r, right)
        return (left << self.half) | right

    def _decrypt(self, x: int) -> int:
        left, right = x >> self.half, x & self.mask
        for r in reversed(range(_FEISTEL_ROUNDS)):
            left, right = right ^ self._mix(r, left), left
        return (left << self.half) | right


def _first_free(used: Sequence[int], n: int, total: int) -> list[int]:
    """The n smallest numbers of [0, total) that are not in the sorted, distinct `used`."""
    free, j, k = [], 0, 0
    while len(free) < n and k < total:
        if j < len(used) and used[j] == k:
            j += 1
        else:
            free.append(k)
        k += 1
    return free


def free_points(
    space: SearchSpace, used: Sequence[Mapping[str, Any]], n: int, seed: int, grid_points: int | None = None
) -> list[dict[str, Any]]:
    """Up to n cells of the grid not among the `used` points, in the seed's shuffled order.

    With `grid_points` None, for a space of discrete parameters only, the grid is every point of the
    space, so an optimizer can find the points it has not tried.
    """
    axes = [_Axis(p, grid_points) for p in space.parameters]
    total = math.prod(axis.size for axis in axes)
    order = _ShuffledOrder(total, seed)
    cells = (_cell_of(params, axes) for params in used)
    positions = sorted({order.position(cell) for cell in cells if cell is not None})
    if space.is_conditional:
        return _free_leaves(space, axes, order, set(positions), n)
    return [_point(order.at(k), axes) for k in _first_free(positions, n, total)]


def _free_leaves(
    space: SearchSpace, axes: list[_Axis], order: _ShuffledOrder, used: set[int], n: int
) -> list[dict[str, Any]]:
    """The first n canonical cells of the order not in `used`, as points holding their active parameters."""
    free = []
    for k in range(order.n):
        if len(free) == n:
            break
        if k in used:
            continue
        cell = order.at(k)
        full = _point(cell, axes)
        point = {name: full[name] for name in space.active_names(full)}
        if _cell_of(point, axes) == cell:
            free.append(point)
    return free


def _cell_of(params: Mapping[str, Any], axes: list[_Axis]) -> int | None:
    """The cell number of a point (a conditional parameter it lacks at level 0), or None when it is
    off the grid."""
    cell = 0
    for axis in axes:
        name = axis.p.name
        i = axis.index(params[name]) if name in params else (0 if axis.p.when else None)
        if i is None:
            return None
        cell = cell * axis.size + i
    return cell


def _point(cell: int, axes: list[_Axis]) -> dict[str, Any]:
    point = {}
    for axis in reversed(axes):
        cell, i = divmod(cell, axis.size)
        point[axis.p.name] = axis.value(i)
    return {axis.p.name: point[axis.p.name] for axis in axes}


def grid_size(space: SearchSpace, grid_points: int | None = None) -> int:
    """The number of points of the grid that `free_points` walks (the leaves of a conditional space)."""
    axes = [_Axis(p, grid_points) for p in space.parameters]
    if not space.is_conditional:
        return math.prod(axis.size for axis in axes)
    parents = {parent for p in space.parameters for parent, _ in p.when}
    branching = [axis for axis in axes if axis.p.name in parents]
    count = 0
    for levels in itertools.product(*(range(axis.size) for axis in branching)):
        choice = {axis.p.name: axis.value(i) for axis, i in zip(branching, levels, strict=True)}
        active = set(space.active_names(choice))
        if all(i == 0 or axis.p.name in active for axis, i in zip(branching, levels, strict=True)):
            count += math.prod(
                axis.size for axis in axes if axis.p.name in active and axis.p.name not in parents
            )
    return count
