"""Search spaces: the JSON codec and the only translator between user values and the unit cube.

Encoded arrays have one column per parameter, in `SearchSpace.names` order, with values in [0, 1]:
floats are scaled linearly (in log space where `log`); integers and stepped floats over their range
padded by half a step on each side, so every level owns an equal-width cell and decoding rounds;
a categorical with k choices is its index mapped to the centre of cell i of k equal cells. The GP
uses `encode_onehot` instead, where a categorical becomes k columns of 0/1.

In a conditional space (parameters with `when`, see `conditions`) a point holds exactly its active
parameters. `encode` gives an inactive parameter's column `INACTIVE_UNIT` and `active_mask` says which
cells are real; `decode` reads every column and keeps only the parameters its row makes active, so
whatever an optimizer proposes decodes to a valid, complete point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .conditions import active_flags, check_forest
from .parameters import INACTIVE_UNIT, MAX_PARAMETERS, Parameter, SpaceError, parse_parameter


def unit_keys(X: np.ndarray) -> list[tuple[float, ...]]:
    """Hashable keys of encoded rows, equal for equal points (continuous values compared to about 1e-9)."""
    return [tuple(row) for row in np.round(X, 9).tolist()]


class SearchSpace:
    """An ordered set of parameters; immutable, built from (and written back to) the JSON form."""

    def __init__(self, parameters: Sequence[Parameter]) -> None:
        self.parameters: tuple[Parameter, ...] = tuple(parameters)
        self.names: list[str] = [p.name for p in self.parameters]
        self._order = check_forest(self.parameters, SpaceError)
        self._unit_conditions = self._build_unit_conditions()
        self._onehot_slices = self._build_onehot_slices()

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> SearchSpace:
        """Parse and validate the JSON form; a SpaceError says which parameter and key are at fault."""
        if not isinstance(spec, Mapping):
            raise SpaceError(None, None, "the search space must be an object of parameter name -> definition")
        if not 1 <= len(spec) <= MAX_PARAMETERS:
            raise SpaceError(
                None, None, f"the search space needs 1 to {MAX_PARAMETERS} parameters, got {len(spec)}"
            )
        return cls([parse_parameter(name, p) for name, p in spec.items()])

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {p.name: p.to_dict() for p in self.parameters}

    def __len__(self) -> int:
        return len(self.parameters)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.parameters == other.parameters

    def __hash__(self) -> int:
        return hash(self.parameters)

    def __repr__(self) -> str:
        return f"SearchSpace({self.to_dict()!r})"

    @property
    def is_conditional(self) -> bool:
        return any(p.when for p in self.parameters)

    @property
    def parent_names(self) -> frozenset[str]:
        """The parameters some condition names: their values choose a point's branch."""
        return frozenset(parent for p in self.parameters for parent, _ in p.when)

    def active_names(self, params: Mapping[str, Any]) -> list[str]:
        """The parameters (in space order) that `params` makes active; extra keys are ignored."""
        flags = active_flags(self.parameters, self._order, params)
        return [name for name, active in zip(self.names, flags, strict=True) if active]

    def active_mask(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """(n, d) booleans: True where the point holds the parameter."""
        rows = [active_flags(self.parameters, self._order, params) for params in params_list]
        return np.array(rows, dtype=bool).reshape(len(params_list), len(self.parameters))

    def validate_params(self, params: Mapping[str, Any]) -> None:
        """Raise ValueError unless `params` holds exactly the active parameters, each inside the space."""
        if not isinstance(params, Mapping):
            raise ValueError(f"params must be an object, got {params!r}")
        active = self.active_names(params)
        missing = [n for n in active if n not in params]
        extra = sorted(set(params) - set(self.names))
        inactive = [n for n in self.names if n in params and n not in active]
        if missing:
            raise ValueError(f"params lack parameter(s) {missing}")
        if extra:
            raise ValueError(f"params have unknown parameter(s) {extra}")
        for name in active:
            self.parameters[self.names.index(name)].validate_value(params[name])
        if inactive:
            raise ValueError(f"params have parameter(s) {inactive} that their conditions make inactive")

    def encode(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """(n, d) array in [0, 1], one column per parameter (categoricals by index); a parameter the
        point's conditions make inactive, or that it lacks, gets `INACTIVE_UNIT`."""
        out = np.full((len(params_list), len(self.parameters)), INACTIVE_UNIT)
        rows = range(len(params_list))
        if self.is_conditional:
            active = [active_flags(self.parameters, self._order, params) for params in params_list]
        for j, p in enumerate(self.parameters):
            if self.is_conditional:
                rows = [i for i, params in enumerate(params_list) if active[i][j] and p.name in params]
            if len(rows):
                out[rows, j] = p.to_units([params_list[i][p.name] for i in rows])
        return out

    def decode(self, X: np.ndarray) -> list[dict[str, Any]]:
        """Params dicts (plain Python values, inside the space) for the rows of an (n, d) array,
        each holding only the parameters it makes active."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        full = [{p.name: p.from_unit(x[j]) for j, p in enumerate(self.parameters)} for x in X]
        if not self.is_conditional:
            return full
        return [{name: params[name] for name in self.active_names(params)} for params in full]

    def point_keys(self, params_list: Sequence[Mapping[str, Any]]) -> list[tuple[float | None, ...]]:
        """Hashable keys that are equal for equal points (continuous values compared to about 1e-9);
        a parameter the point does not hold is None."""
        columns = [self._column_keys(p, params_list) for p in self.parameters]
        return list(zip(*columns, strict=True))

    def _column_keys(self, p: Parameter, params_list: Sequence[Mapping[str, Any]]) -> list:
        held = [i for i, params in enumerate(params_list) if p.name in params]
        out: list = [None] * len(params_list)
        for i, key in zip(held, p.point_keys([params_list[i][p.name] for i in held]), strict=True):
            out[i] = key
        return out

    def snap_unit(self, X: np.ndarray) -> np.ndarray:
        """Vectorized `encode(decode(X))`: each index-form row moved onto the encoding of its value,
        an inactive column onto `INACTIVE_UNIT`."""
        out = np.clip(np.atleast_2d(np.asarray(X, dtype=float)), 0.0, 1.0)
        for j, p in enumerate(self.parameters):
            if p.n_levels:
                out[:, j] = p.level_units(p.unit_levels(out[:, j]))
        return self.impute_inactive(out)

    def impute_inactive(self, X: np.ndarray) -> np.ndarray:
        """A copy of index-form rows with each inactive column at `INACTIVE_UNIT`, so rows that decode
        to the same point encode the same."""
        X = np.array(X, dtype=float, ndmin=2)
        if self._unit_conditions:
            X[~self.unit_active(X)] = INACTIVE_UNIT
        return X

    def unit_active(self, X: np.ndarray) -> np.ndarray:
        """(n, d) booleans: which parameters each index-form row makes active (vectorized `active_mask`)."""
        X = np.atleast_2d(X)
        active = np.ones(X.shape, dtype=bool)
        for j, needs in self._unit_conditions:
            for parent, levels in needs:
                q = self.parameters[parent]
                active[:, j] &= active[:, parent] & np.isin(q.unit_levels(X[:, parent]), levels)
        return active

    def _build_unit_conditions(self) -> list[tuple[int, list[tuple[int, np.ndarray]]]]:
        """Per conditional parameter, parents first: (column, [(parent column, allowed level indices)])."""
        out = []
        for j in self._order:
            p = self.parameters[j]
            needs = []
            for parent, values in p.when:
                q = self.parameters[self.names.index(parent)]
                needs.append((self.names.index(parent), np.array(q.point_keys(list(values)), dtype=float)))
            if needs:
                out.append((j, needs))
        return out

    @property
    def onehot_dim(self) -> int:
        return self._onehot_slices[-1].stop if self._onehot_slices else 0

    @property
    def onehot_slices(self) -> list[slice]:
        """Columns of each parameter in the one-hot form (one column for numeric, k for categorical)."""
        return list(self._onehot_slices)

    def _build_onehot_slices(self) -> list[slice]:
        slices, start = [], 0
        for p in self.parameters:
            width = len(p.choices) if p.is_categorical else 1
            slices.append(slice(start, start + width))
            start += width
        return slices

    def index_to_onehot(self, X: np.ndarray) -> np.ndarray:
        """Index form (n, d) -> one-hot form (n, onehot_dim); numeric columns are copied."""
        X = np.atleast_2d(X)
        out = np.zeros((X.shape[0], self.onehot_dim))
        for j, (p, cols) in enumerate(zip(self.parameters, self._onehot_slices, strict=True)):
            if p.is_categorical:
                idx = p.unit_levels(X[:, j]).astype(int)
                out[np.arange(X.shape[0]), cols.start + idx] = 1.0
            else:
                out[:, cols.start] = X[:, j]
        return out

    def onehot_to_index(self, Z: np.ndarray) -> np.ndarray:
        """One-hot form -> index form; a categorical takes its largest column."""
        Z = np.atleast_2d(Z)
        out = np.empty((Z.shape[0], len(self.parameters)))
        for j, (p, cols) in enumerate(zip(self.parameters, self._onehot_slices, strict=True)):
            if p.is_categorical:
                out[:, j] = p.level_units(np.argmax(Z[:, cols], axis=1))
            else:
                out[:, j] = Z[:, cols.start]
        return out

    def encode_onehot(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self.index_to_onehot(self.encode(params_list))

    def decode_onehot(self, Z: np.ndarray) -> list[dict[str, Any]]:
        return self.decode(self.onehot_to_index(Z))
