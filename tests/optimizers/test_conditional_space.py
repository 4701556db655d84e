"""Conditional spaces in the codec: the `when` rules, the active parameters and the unit-cube translation."""

from __future__ import annotations

import numpy as np
import pytest

from studies.optimizers import SearchSpace
from studies.optimizers.space import SpaceError
from tests.optimizers.checks import assert_plain_point

TREE = {
    "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": ["sgd"]}},
    "nesterov": {"type": "categorical", "choices": [True, False], "when": {"momentum": [0.5]}},
    "layers": {"type": "int", "low": 1, "high": 4},
    "width2": {"type": "int", "low": 8, "high": 512, "log": True, "when": {"layers": [2, 3, 4]}},
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
}


def tree(**changes):
    spec = {name: dict(p) for name, p in TREE.items() if name != "nesterov"}
    spec.update(changes)
    return spec


def test_a_tree_round_trips_through_its_json_form():
    spec = tree()
    assert SearchSpace.from_dict(spec).to_dict() == {
        name: {"log": False, **p} if p["type"] != "categorical" else p for name, p in spec.items()
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"opt": ["sgd"]}}}, "'opt' is not"),
        (
            {"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"momentum": [1]}}},
            "its own parent",
        ),
        (
            {"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"lr": [0.1]}}},
            "categorical or int",
        ),
        (
            {"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"optimizer": ["rmsprop"]}}},
            "not a value",
        ),
        ({"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"layers": [9]}}}, "not a value"),
        (
            {"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"optimizer": []}}},
            "non-empty list",
        ),
        (
            {"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": ["optimizer"]}},
            "must be an object",
        ),
        (
            {"momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"optimizer": [[1]]}}},
            "plain value",
        ),
        (  # checked inside a web request: 300,000 values took 40 s there, then seconds per suggestion
            {
                "layers": {"type": "int", "low": 1, "high": 10**6},
                "momentum": {
                    "type": "float",
                    "low": 0.0,
                    "high": 1.0,
                    "when": {"layers": list(range(1, 1002))},
                },
            },
            "at most 1000 values",
        ),
    ],
)
def test_a_bad_condition_is_refused_on_the_parameter_that_has_it(changes, message):
    with pytest.raises(SpaceError, match=message) as error:
        SearchSpace.from_dict(tree(**changes))
    assert (error.value.parameter, error.value.key) == ("momentum", "when")


def test_a_cycle_of_conditions_is_refused():
    spec = {
        "a": {"type": "categorical", "choices": [1, 2], "when": {"b": ["x"]}},
        "b": {"type": "categorical", "choices": ["x", "y"], "when": {"a": [1]}},
    }
    with pytest.raises(SpaceError, match="cycle") as error:
        SearchSpace.from_dict(spec)
    assert error.value.key == "when"


def test_a_condition_that_can_never_hold_is_refused():
    spec = tree(
        kind={"type": "categorical", "choices": ["a", "b"], "when": {"optimizer": ["sgd"]}},
        both={"type": "float", "low": 0.0, "high": 1.0, "when": {"kind": ["a"], "optimizer": ["adam"]}},
    )
    with pytest.raises(SpaceError, match="'optimizer' can never hold") as error:
        SearchSpace.from_dict(spec)
    assert (error.value.parameter, error.value.key) == ("both", "when")


def test_parents_may_come_after_their_children_in_the_definition():
    spec = {
        "leaf": {"type": "float", "low": 0.0, "high": 1.0, "when": {"root": ["on"]}},
        "root": {"type": "categorical", "choices": ["on", "off"]},
    }
    space = SearchSpace.from_dict(spec)
    assert space.active_names({"root": "on"}) == ["leaf", "root"]
    assert space.active_names({"root": "off"}) == ["root"]


def test_a_point_holds_exactly_its_active_parameters():
    space = SearchSpace.from_dict(tree())
    space.validate_params({"optimizer": "adam", "layers": 1, "lr": 0.1})
    space.validate_params({"optimizer": "sgd", "momentum": 0.9, "layers": 2, "width2": 64, "lr": 0.1})
    with pytest.raises(ValueError, match=r"lack parameter\(s\) \['momentum'\]"):
        space.validate_params({"optimizer": "sgd", "layers": 1, "lr": 0.1})
    with pytest.raises(ValueError, match=r"\['momentum'\] that their conditions make inactive"):
        space.validate_params({"optimizer": "adam", "momentum": 0.9, "layers": 1, "lr": 0.1})


def test_a_child_of_an_inactive_parent_is_inactive():
    space = SearchSpace.from_dict(
        tree(nesterov={"type": "categorical", "choices": [True, False], "when": {"width2": [8]}})
    )
    assert space.active_names({"optimizer": "adam", "layers": 1, "lr": 0.1}) == ["optimizer", "layers", "lr"]
    assert "nesterov" in space.active_names({"optimizer": "adam", "layers": 2, "width2": 8, "lr": 0.1})


def test_decoding_keeps_only_the_active_parameters_and_encoding_gives_them_back():
    space = SearchSpace.from_dict(tree())
    points = space.decode(np.random.default_rng(0).random((200, len(space))))
    for params in points:
        assert_plain_point(space, params)
    assert {"momentum" in p for p in points} == {True, False}
    assert space.decode(space.encode(points)) == points
    mask = space.active_mask(points)
    assert mask[:, space.names.index("momentum")].tolist() == ["momentum" in p for p in points]


def test_points_that_differ_only_in_an_inactive_column_are_the_same_point():
    space = SearchSpace.from_dict(tree())
    X = np.full((2, len(space)), 0.9)
    X[1, space.names.index("momentum")] = 0.1  # optimizer is adam in both rows
    a, b = space.decode(X)
    assert a == b
    assert len(set(space.point_keys([a, b]))) == 1


def test_the_vectorized_activity_agrees_with_the_decoded_points():
    space = SearchSpace.from_dict(
        tree(nesterov={"type": "categorical", "choices": [True, False], "when": {"width2": [8, 9, 10]}})
    )
    X = np.random.default_rng(1).random((300, len(space)))
    points = space.decode(X)
    assert (space.unit_active(X) == space.active_mask(points)).all()
    assert np.allclose(space.snap_unit(X), space.encode(points), atol=1e-12)
