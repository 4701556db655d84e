"""One parameter of a search space: its JSON form, checked against declared limits, and its place in
the unit cube (see `space` for the encoding as a whole).

The limits keep every value exact and every check cheap: bounds and levels stay exact in a float, a
range never overflows, choices are compared by a set (a space is checked inside a web request).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from .conditions import When, choice_key, parse_when

MAX_PARAMETERS = 64
MAX_NAME_LENGTH = 100
MAX_CHOICES = 1000
MAX_CHOICE_LENGTH = 200  # characters of a string choice
MAX_INT_BOUND = 2**52  # int bounds, choices and ranges (high - low) stay exact in a float
MAX_FLOAT_BOUND = 1e300  # so a range (high - low) never overflows
MAX_LEVELS = 2**53  # levels of a stepped parameter, so level indices stay exact in a float
_NUMERIC_KEYS = {"type", "low", "high", "log", "step", "when"}
_CATEGORICAL_KEYS = {"type", "choices", "when"}
_STEP_TOLERANCE = 1e-9
INACTIVE_UNIT = 0.5  # the encoded column of a parameter a point does not hold


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Parameter:
    """One dimension of the space; `step` is None for continuous floats and integers without a step."""

    name: str
    type: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()
    when: When = ()

    @property
    def is_categorical(self) -> bool:
        return self.type == "categorical"

    @property
    def grid_step(self) -> float | None:
        """Spacing of the values the parameter can take, or None when continuous."""
        if self.type == "int":
            return self.step or 1
        return self.step

    @property
    def n_levels(self) -> int:
        """How many distinct values the parameter takes; 0 when continuous."""
        if self.is_categorical:
            return len(self.choices)
        step = self.grid_step
        return 0 if step is None else int(round((self.high - self.low) / step)) + 1

    def unit_bounds(self) -> tuple[float, float]:
        """The interval that maps to [0, 1], padded by half a step for discrete values."""
        low, high = self.low, self.high
        step = self.grid_step
        if step is not None:
            low, high = low - step / 2, high + step / 2
        if self.log:
            return math.log(low), math.log(high)
        return low, high

    def to_unit(self, value: Any) -> float:
        return float(self.to_units([value])[0])

    def to_units(self, values: Sequence[Any]) -> np.ndarray:
        """The unit coordinates of many values at once (encoding a 100-trial history of 50 parameters
        value by value took a fifth of a suggestion). math.log, not np.log, so every value encodes to
        the same bits as it did one at a time."""
        if self.is_categorical:
            return (np.array([self.choice_index(v) for v in values], dtype=float) + 0.5) / len(self.choices)
        low, high = self.unit_bounds()
        v = np.array([math.log(x) for x in values] if self.log else values, dtype=float)
        return np.clip((v - low) / (high - low), 0.0, 1.0)

    def from_unit(self, u: float) -> Any:
        u = min(1.0, max(0.0, float(u)))
        if self.is_categorical:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        low, high = self.unit_bounds()
        v = low + u * (high - low)
        if self.log:
            v = math.exp(v)
        return self.snap(v)

    def snap(self, value: float) -> int | float:
        """The nearest value of the parameter to a number, as a plain int or float."""
        value = min(self.high, max(self.low, value))
        step = self.grid_step
        if step is None:
            return float(value)
        i = round((value - self.low) / step)
        if self.type == "int":
            return int(min(self.high, max(self.low, int(self.low) + i * int(step))))
        digits = int(12 - math.floor(math.log10(step)))
        return float(min(self.high, max(self.low, round(self.low + i * step, digits))))

    def level_units(self, levels: np.ndarray) -> np.ndarray:
        """Unit-cube encodings of level indices 0..n_levels-1 (discrete parameters only)."""
        levels = np.clip(levels, 0, self.n_levels - 1)
        if self.is_categorical:
            return (levels + 0.5) / len(self.choices)
        low, high = self.unit_bounds()
        v = self.low + levels * self.grid_step
        return ((np.log(v) if self.log else v) - low) / (high - low)

    def unit_levels(self, u: np.ndarray) -> np.ndarray:
        """Level index (as float) of unit-cube coordinates, rounded as `decode` rounds."""
        u = np.clip(u, 0.0, 1.0)
        if self.is_categorical:
            return np.minimum(np.floor(u * len(self.choices)), len(self.choices) - 1)
        low, high = self.unit_bounds()
        v = low + u * (high - low)
        v = np.exp(v) if self.log else v
        return np.clip(np.round((v - self.low) / self.grid_step), 0, self.n_levels - 1)

    def point_keys(self, values: Sequence[Any]) -> list[int | float]:
        """Keys equal exactly for equal (valid) values: a discrete value's level, however many
        levels there are, and a continuous value's unit coordinate to about 1e-9."""
        if self.is_categorical:
            return [self.choice_index(value) for value in values]
        v = np.asarray(values, dtype=float)
        if self.n_levels:
            levels = np.clip(np.rint((v - self.low) / self.grid_step), 0, self.n_levels - 1)
            return levels.astype(np.int64).tolist()
        low, high = self.unit_bounds()
        u = ((np.log(v) if self.log else v) - low) / (high - low)
        return np.round(np.clip(u, 0.0, 1.0), 9).tolist()

    @cached_property
    def _choice_indices(self) -> dict[tuple[str, Any], int]:
        return {choice_key(choice): i for i, choice in enumerate(self.choices)}

    def level_edges(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit-cube [lo, hi) of each level's cell (discrete parameters only); a log integer's cells
        shrink as the value grows, every other parameter's have equal widths."""
        levels = np.clip(levels, 0, self.n_levels - 1)
        if self.is_categorical:
            return levels / len(self.choices), (levels + 1) / len(self.choices)
        low, high = self.unit_bounds()
        centre = self.low + levels * self.grid_step
        lo, hi = centre - self.grid_step / 2, centre + self.grid_step / 2
        if self.log:
            lo, hi = np.log(lo), np.log(hi)
        return (lo - low) / (high - low), (hi - low) / (high - low)

    def choice_index(self, value: Any) -> int:
        if isinstance(value, str | int | float | bool) and choice_key(value) in self._choice_indices:
            return self._choice_indices[choice_key(value)]
        raise ValueError(f"parameter {self.name!r}: {value!r} is not one of the choices {list(self.choices)}")

    def validate_value(self, value: Any) -> None:
        if self.is_categorical:
            self.choice_index(value)
            return
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"parameter {self.name!r}: {value!r} is not a finite number")
        if self.type == "int" and not (isinstance(value, int) or value.is_integer()):
            raise ValueError(f"parameter {self.name!r}: {value!r} is not an integer")
        tol = _STEP_TOLERANCE * max(1.0, abs(self.low), abs(self.high))
        if not self.low - tol <= value <= self.high + tol:
            raise ValueError(f"parameter {self.name!r}: {value!r} is outside [{self.low}, {self.high}]")
        step = self.grid_step
        if step is not None:
            k = (value - self.low) / step
            if abs(k - round(k)) > 1e-6:
                raise ValueError(
                    f"parameter {self.name!r}: {value!r} is not on the step {step} from {self.low}"
                )

    def to_dict(self) -> dict[str, Any]:
        if self.is_categorical:
            out: dict[str, Any] = {"type": "categorical", "choices": list(self.choices)}
        else:
            out = {"type": self.type, "low": self.low, "high": self.high, "log": self.log}
            if self.step is not None:
                out["step"] = self.step
        if self.when:
            out["when"] = {parent: list(values) for parent, values in self.when}
        return out


class SpaceError(ValueError):
    """A search space that cannot be parsed; `.parameter` and `.key` say where.

    `.parameter` is the parameter's name, or None when the space as a whole is wrong; `.key` is the
    key of its definition at fault ("name", "type", "low", "high", "log", "step", "choices", "when",
    or an unknown key), or None when the definition as a whole is.
    """

    def __init__(self, parameter: str | None, key: str | None, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.key = key


def parse_parameter(name: Any, spec: Any) -> Parameter:
    _check_name(name)
    if not isinstance(spec, Mapping):
        raise SpaceError(name, None, f"parameter {name!r}: expected an object with a 'type', got {spec!r}")
    kind = spec.get("type")
    if kind == "categorical":
        p = _parse_categorical(name, spec)
    elif kind in ("float", "int"):
        p = _parse_numeric(name, kind, spec)
    else:
        raise SpaceError(
            name, "type", f"parameter {name!r}: unknown type {kind!r} (expected float, int or categorical)"
        )
    return replace(p, when=parse_when(name, spec["when"], SpaceError)) if "when" in spec else p


def command_variable(name: str) -> str:
    """The environment variable a command job gets a parameter in: upper case, other characters `_`."""
    return "HPOWEB_PARAM_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def _check_name(name: Any) -> None:
    if not isinstance(name, str):
        raise SpaceError(str(name), "name", f"parameter name {name!r} is not a string")
    if len(name) > MAX_NAME_LENGTH:
        raise SpaceError(
            name, "name", f"parameter name {name[:20]!r}... is longer than {MAX_NAME_LENGTH} characters"
        )
    if not name.isidentifier():
        raise SpaceError(name, "name", f"parameter name {name!r} is not a Python identifier")


def _check_keys(name: str, spec: Mapping[str, Any], allowed: set[str], kind: str) -> None:
    unknown = sorted(str(key) for key in spec if key not in allowed)
    if unknown:
        raise SpaceError(name, unknown[0], f"parameter {name!r}: unknown keys {unknown} for a {kind}")


def _parse_categorical(name: str, spec: Mapping[str, Any]) -> Parameter:
    _check_keys(name, spec, _CATEGORICAL_KEYS, "categorical")
    choices = spec.get("choices")
    if not isinstance(choices, list | tuple) or not choices:
        raise SpaceError(name, "choices", f"parameter {name!r}: choices must be a non-empty list")
    if len(choices) > MAX_CHOICES:
        raise SpaceError(
            name, "choices", f"parameter {name!r}: at most {MAX_CHOICES} choices, got {len(choices)}"
        )
    seen = set()
    for choice in choices:
        _check_choice(name, choice)
        key = choice_key(choice)
        if key in seen:
            raise SpaceError(name, "choices", f"parameter {name!r}: choice {choice!r} appears more than once")
        seen.add(key)
    return Parameter(name=name, type="categorical", choices=tuple(choices))


def _check_choice(name: str, choice: Any) -> None:
    if not isinstance(choice, str | int | float | bool):
        raise SpaceError(
            name, "choices", f"parameter {name!r}: choice {choice!r} is not a string, number or boolean"
        )
    if isinstance(choice, str) and len(choice) > MAX_CHOICE_LENGTH:
        raise SpaceError(
            name,
            "choices",
            f"parameter {name!r}: choice {choice[:20]!r}... is longer than {MAX_CHOICE_LENGTH} characters",
        )
    if isinstance(choice, str) and "\x00" in choice:
        raise SpaceError(name, "choices", f"parameter {name!r}: choice {choice!r} holds a NUL character")
    if _is_number(choice) and not _is_storable(
        choice, MAX_INT_BOUND if isinstance(choice, int) else MAX_FLOAT_BOUND
    ):
        raise SpaceError(
            name,
            "choices",
            f"parameter {name!r}: choice {choice!r} is not a finite number of a storable size",
        )


def is_finite_number(value: Any) -> bool:
    """A number a float holds: not NaN, not infinite, and no int too large (10**400 overflows)."""
    return _is_storable(value, sys.float_info.max)


def _is_storable(value: Any, bound: float) -> bool:
    """A finite number within +-bound (ints compare with floats exactly: 10**400 cannot overflow)."""
    return _is_number(value) and -bound <= value <= bound


def _parse_numeric(name: str, kind: str, spec: Mapping[str, Any]) -> Parameter:
    _check_keys(name, spec, _NUMERIC_KEYS, kind)
    bound = MAX_INT_BOUND if kind == "int" else MAX_FLOAT_BOUND
    for key in ("low", "high"):
        if key not in spec:
            raise SpaceError(name, key, f"parameter {name!r}: '{key}' is required")
        if not _is_storable(spec[key], bound):
            raise SpaceError(
                name,
                key,
                f"parameter {name!r}: '{key}' must be a finite number within +-{bound:g}, got {spec[key]!r}",
            )
    low, high = spec["low"], spec["high"]
    log = spec.get("log", False)
    step = spec.get("step")
    if not isinstance(log, bool):
        raise SpaceError(name, "log", f"parameter {name!r}: 'log' must be true or false")
    if kind == "int":
        for key, value in (("low", low), ("high", high)):
            if not float(value).is_integer():
                raise SpaceError(
                    name, key, f"parameter {name!r}: int bounds must be integers, got {low!r} and {high!r}"
                )
        low, high = int(low), int(high)
    else:
        low, high = float(low), float(high)
    if not low < high:
        raise SpaceError(name, "low", f"parameter {name!r}: low ({low}) must be less than high ({high})")
    if log and low <= 0:
        raise SpaceError(name, "low", f"parameter {name!r}: a log scale needs low > 0, got {low}")
    if step is not None:
        step = _parse_step(name, kind, low, high, log, step)
    return Parameter(name=name, type=kind, low=low, high=high, log=log, step=step)


def _parse_step(name: str, kind: str, low: float, high: float, log: bool, step: Any) -> float:
    if log:
        raise SpaceError(name, "step", f"parameter {name!r}: 'log' and 'step' cannot be used together")
    if not _is_storable(step, MAX_FLOAT_BOUND) or step <= 0:
        raise SpaceError(name, "step", f"parameter {name!r}: 'step' must be a positive number, got {step!r}")
    if kind == "int":
        if not float(step).is_integer():
            raise SpaceError(
                name, "step", f"parameter {name!r}: an int step must be an integer, got {step!r}"
            )
        step = int(step)
    levels = (high - low) / step
    if levels > MAX_LEVELS:
        raise SpaceError(name, "step", f"parameter {name!r}: step {step} gives more than {MAX_LEVELS} levels")
    if abs(levels - round(levels)) > _STEP_TOLERANCE * max(1.0, levels):
        raise SpaceError(
            name, "step", f"parameter {name!r}: step {step} does not divide the range {high - low}"
        )
    return step if kind == "int" else float(step)
