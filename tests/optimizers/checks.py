"""Assertions shared by the optimizer tests."""

from __future__ import annotations

from studies.optimizers import SearchSpace


def assert_plain_point(space: SearchSpace, params: dict) -> None:
    """A point of `space` holding its active parameters in space order, with plain Python int/float and
    values from the choices."""
    space.validate_params(params)
    assert list(params) == space.active_names(params)
    for p in space.parameters:
        if p.name not in params:
            continue
        value = params[p.name]
        if p.type == "int":
            assert type(value) is int
        elif p.type == "float":
            assert type(value) is float
        else:
            assert any(type(value) is type(c) and value == c for c in p.choices)
