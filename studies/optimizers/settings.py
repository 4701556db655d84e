"""One declared schema for the settings of optimizers, pruners and jobs, and the one parser of it.

The web form and the API build their setting fields from `Setting.describe()`; every check of a
value lives in `parse_settings`, whose `SettingError` names the setting, so a caller routes the
message to a field by `error.setting`, never by reading the message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INT32_MAX = 2**31 - 1
SETTING_TYPES = ("bool", "int", "float", "choice")


class SettingError(ValueError):
    """A bad or unknown setting; `.setting` names it (the unknown key for an unknown one)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class Setting:
    """One setting; numbers always declare bounds, so no value can overflow a column or a loop later.

    A number setting whose default is None also takes None: the owner then chooses the value (its
    help says how)."""

    name: str
    type: str
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()

    def __post_init__(self) -> None:
        if self.type not in SETTING_TYPES:
            raise TypeError(f"setting {self.name!r}: type must be one of {SETTING_TYPES}")
        if self.type in ("int", "float") and (self.min is None or self.max is None):
            raise TypeError(f"setting {self.name!r}: a number setting declares min and max")
        if self.type == "choice" and self.default not in self.choices:
            raise TypeError(f"setting {self.name!r}: the default must be one of the choices")

    def describe(self) -> dict[str, Any]:
        """The JSON form for the web form and the API schema."""
        out = {"name": self.name, "type": self.type, "default": self.default, "help": self.help}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.choices:
            out["choices"] = list(self.choices)
        return out

    def parse(self, owner: str, value: Any) -> Any:
        """The value as this setting's type, or a SettingError naming the setting."""
        where = f"{owner}: setting {self.name!r}"
        if self.type == "bool":
            if not isinstance(value, bool):
                raise SettingError(self.name, f"{where} must be true or false, got {value!r}")
            return value
        if self.type == "choice":
            if not any(type(c) is type(value) and c == value for c in self.choices):
                raise SettingError(self.name, f"{where} must be one of {list(self.choices)}, got {value!r}")
            return value
        return self._parse_number(where, value)

    def _parse_number(self, where: str, value: Any) -> int | float | None:
        if value is None and self.default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingError(self.name, f"{where} must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingError(self.name, f"{where} must be a finite number, got {value!r}")
        if self.type == "int" and isinstance(value, float) and not value.is_integer():
            raise SettingError(self.name, f"{where} must be an integer, got {value!r}")
        # Python ints compare exactly whatever their size, so 10**400 is refused here, not overflowed.
        if not self.min <= value <= self.max:
            raise SettingError(self.name, f"{where} must be between {self.min} and {self.max}, got {value!r}")
        return int(value) if self.type == "int" else float(value)


def parse_settings(owner: str, schema: Sequence[Setting], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting of `schema` from `values`, defaults filled in, each value type- and bound-checked.

    `owner` says whose settings they are in messages ("optimizer 'gp'"). A SettingError names the
    first bad or unknown setting; one with `setting == ""` means `values` is not an object at all.
    """
    if not isinstance(values, Mapping):
        raise SettingError("", f"{owner}: settings must be an object of name -> value, got {values!r}")
    known = {setting.name: setting for setting in schema}
    unknown = sorted(str(key) for key in values if key not in known)
    if unknown:
        raise SettingError(
            unknown[0], f"{owner}: unknown setting {unknown[0]!r} (known: {', '.join(known) or 'none'})"
        )
    return {name: setting.parse(owner, values.get(name, setting.default)) for name, setting in known.items()}
