from __future__ import annotations

import math
import time

import numpy as np
import pytest

from studies.optimizers import SearchSpace, get_optimizer
from studies.optimizers.space import SpaceError
from tests.optimizers.checks import assert_plain_point

MIXED = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "layers": {"type": "int", "low": 1, "high": 8},
    "units": {"type": "int", "low": 16, "high": 1024, "log": True},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1},
    "batch": {"type": "int", "low": 16, "high": 128, "step": 16},
    "opt": {"type": "categorical", "choices": ["sgd", "adam", 3, 2.5, True]},
    "x": {"type": "float", "low": -2.0, "high": 3.0},
}


@pytest.mark.parametrize(
    ("spec", "message", "where"),
    [
        ({"a": {"type": "float", "low": 1.0, "high": 1.0}}, "'a': low", ("a", "low")),
        ({"a": {"type": "float", "low": 2.0, "high": 1.0}}, "'a': low", ("a", "low")),
        (
            {"a": {"type": "float", "low": 0.0, "high": 1.0, "log": True}},
            "'a': a log scale needs low > 0",
            ("a", "low"),
        ),
        ({"a": {"type": "int", "low": 0.5, "high": 3}}, "'a': int bounds must be integers", ("a", "low")),
        (
            {"a": {"type": "float", "low": 0.0, "high": 1.0, "step": 0.3}},
            "'a': step 0.3 does not divide",
            ("a", "step"),
        ),
        (
            {"a": {"type": "float", "low": 0.0, "high": 1.0, "step": 0}},
            "'a': 'step' must be a positive",
            ("a", "step"),
        ),
        (
            {"a": {"type": "float", "low": 0.0, "high": 1.0, "step": -0.5}},
            "'a': 'step' must be a positive",
            ("a", "step"),
        ),
        (
            {"a": {"type": "int", "low": 1, "high": 8, "log": True, "step": 1}},
            "'a': 'log' and 'step'",
            ("a", "step"),
        ),
        (
            {"a": {"type": "int", "low": 1, "high": 8, "step": 1.5}},
            "'a': an int step must be an integer",
            ("a", "step"),
        ),
        (
            {"a": {"type": "categorical", "choices": []}},
            "'a': choices must be a non-empty list",
            ("a", "choices"),
        ),
        (
            {"a": {"type": "categorical", "choices": ["x", "x"]}},
            "'a': choice 'x' appears more than once",
            ("a", "choices"),
        ),
        (
            {"a": {"type": "categorical", "choices": [1, 1.0]}},
            "'a': choice 1.0 appears more than once",
            ("a", "choices"),
        ),
        ({"a": {"type": "categorical", "choices": [[1]]}}, "'a': choice [1] is not", ("a", "choices")),
        (
            {"a": {"type": "categorical", "choices": ["x" * 201]}},
            "longer than 200 characters",
            ("a", "choices"),
        ),
        ({"a": {"type": "categorical", "choices": [10**400]}}, "storable size", ("a", "choices")),
        (
            {"a b": {"type": "float", "low": 0.0, "high": 1.0}},
            "'a b' is not a Python identifier",
            ("a b", "name"),
        ),
        (
            {"1a": {"type": "float", "low": 0.0, "high": 1.0}},
            "'1a' is not a Python identifier",
            ("1a", "name"),
        ),
        (
            {"a" * 101: {"type": "float", "low": 0.0, "high": 1.0}},
            "longer than 100 characters",
            ("a" * 101, "name"),
        ),
        ({}, "1 to 64 parameters", (None, None)),
        (
            {f"p{i}": {"type": "float", "low": 0, "high": 1} for i in range(65)},
            "1 to 64 parameters",
            (None, None),
        ),
        ({"a": {"type": "complex", "low": 0.0, "high": 1.0}}, "'a': unknown type 'complex'", ("a", "type")),
        (
            {"a": {"type": "float", "low": 0.0, "high": 1.0, "scale": 2}},
            "'a': unknown keys ['scale']",
            ("a", "scale"),
        ),
        ({"a": {"type": "categorical", "choices": [1], "low": 0}}, "'a': unknown keys ['low']", ("a", "low")),
        (
            {"a": {"type": "float", "low": "0", "high": 1.0}},
            "'a': 'low' must be a finite number",
            ("a", "low"),
        ),
        ({"a": {"type": "float", "high": 1.0}}, "'a': 'low' is required", ("a", "low")),
        (
            {"a": {"type": "float", "low": 0.0, "high": float("inf")}},
            "'a': 'high' must be a finite number",
            ("a", "high"),
        ),
        (
            {"a": {"type": "float", "low": 0.0, "high": 10**400}},
            "'a': 'high' must be a finite number",
            ("a", "high"),
        ),
        (
            {"a": {"type": "int", "low": -(10**30), "high": 0}},
            "'a': 'low' must be a finite number",
            ("a", "low"),
        ),
        ({"a": {"type": "float", "low": 0.0, "high": 1.0, "step": 1e-300}}, "more than", ("a", "step")),
        (
            {"a": {"type": "float", "low": 0.0, "high": 1.0, "log": "yes"}},
            "'a': 'log' must be true or false",
            ("a", "log"),
        ),
        ({"a": [0, 1]}, "'a': expected an object", ("a", None)),
    ],
)
def test_it_rejects_an_invalid_space_naming_the_parameter_and_key(spec, message, where):
    with pytest.raises(SpaceError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        SearchSpace.from_dict(spec)
    assert (caught.value.parameter, caught.value.key) == where


def test_a_space_that_is_not_an_object_is_an_error_of_the_whole_space():
    with pytest.raises(SpaceError) as caught:
        SearchSpace.from_dict([["a", {"type": "float"}]])
    assert (caught.value.parameter, caught.value.key) == (None, None)


def test_too_many_choices_are_refused_fast_and_a_thousand_distinct_ones_accepted():
    started = time.perf_counter()
    with pytest.raises(SpaceError, match="at most 1000 choices"):
        SearchSpace.from_dict({"a": {"type": "categorical", "choices": [str(i) for i in range(100_000)]}})
    choices = [*range(500), *(str(i) for i in range(498)), True, False]
    space = SearchSpace.from_dict({"a": {"type": "categorical", "choices": choices}})
    assert time.perf_counter() - started < 0.5  # O(k) now; comparing pairs took 74 s for 10,000
    assert space.parameters[0].choice_index("1") == 501 and space.parameters[0].choice_index(True) == 998


def test_it_accepts_a_step_that_divides_the_range_up_to_float_rounding():
    space = SearchSpace.from_dict({"a": {"type": "float", "low": 0.0, "high": 0.3, "step": 0.1}})
    assert space.parameters[0].n_levels == 4


def test_to_dict_gives_the_normalized_json_form_back():
    space = SearchSpace.from_dict(MIXED)
    again = SearchSpace.from_dict(space.to_dict())
    assert again == space
    assert space.to_dict()["layers"] == {"type": "int", "low": 1, "high": 8, "log": False}
    assert space.to_dict()["x"] == {"type": "float", "low": -2.0, "high": 3.0, "log": False}
    assert space.names == list(MIXED)


def test_int_bounds_given_as_integral_floats_become_ints():
    space = SearchSpace.from_dict({"a": {"type": "int", "low": 1.0, "high": 4.0}})
    assert space.to_dict()["a"]["low"] == 1 and isinstance(space.to_dict()["a"]["low"], int)


def test_validate_params_accepts_points_and_rejects_others():
    space = SearchSpace.from_dict(MIXED)
    good = {"lr": 1e-3, "layers": 3, "units": 100, "dropout": 0.3, "batch": 48, "opt": 3, "x": 0.0}
    space.validate_params(good)
    for change, message in [
        ({"lr": 2.0}, "'lr'"),
        ({"layers": 2.5}, "'layers'"),
        ({"dropout": 0.25}, "'dropout'"),
        ({"batch": 20}, "'batch'"),
        ({"opt": "rmsprop"}, "'opt'"),
        ({"opt": 1}, "'opt'"),
        ({"x": float("nan")}, "'x'"),
    ]:
        with pytest.raises(ValueError, match=message):
            space.validate_params({**good, **change})
    with pytest.raises(ValueError, match="lack"):
        space.validate_params({k: v for k, v in good.items() if k != "x"})
    with pytest.raises(ValueError, match="unknown"):
        space.validate_params({**good, "y": 1})


def test_decode_gives_plain_values_inside_the_space_for_any_unit_point():
    space = SearchSpace.from_dict(MIXED)
    X = np.random.default_rng(0).random((500, len(space)))
    X[:5] = 0.0
    X[5:10] = 1.0
    for params in space.decode(X):
        assert_plain_point(space, params)


def test_encode_then_decode_is_the_identity_on_points_of_the_space():
    space = SearchSpace.from_dict(MIXED)
    points = space.decode(np.random.default_rng(1).random((200, len(space))))
    X = space.encode(points)
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert space.decode(X) == points
    np.testing.assert_allclose(space.encode(space.decode(X)), X, atol=1e-12)


def test_log_parameters_are_uniform_in_log_space_and_ints_own_equal_cells():
    space = SearchSpace.from_dict(
        {
            "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
            "k": {"type": "int", "low": 0, "high": 3},
        }
    )
    X = space.encode([{"lr": 1e-2, "k": 0}, {"lr": 1e-4, "k": 3}])
    np.testing.assert_allclose(X, [[0.5, 0.125], [0.0, 0.875]])


def test_stepped_floats_decode_to_clean_decimals():
    space = SearchSpace.from_dict({"a": {"type": "float", "low": 0.0, "high": 1.0, "step": 0.1}})
    values = [p["a"] for p in space.decode(np.linspace(0, 1, 101)[:, None])]
    assert sorted(set(values)) == [round(0.1 * i, 1) for i in range(11)]


def test_one_hot_form_round_trips_and_marks_one_column_per_choice():
    space = SearchSpace.from_dict(MIXED)
    points = space.decode(np.random.default_rng(2).random((50, len(space))))
    Z = space.encode_onehot(points)
    assert Z.shape == (50, space.onehot_dim) == (50, len(space) - 1 + 5)
    assert np.all(Z[:, space.onehot_slices[5]].sum(axis=1) == 1)
    assert space.decode_onehot(Z) == points


def test_point_keys_are_equal_exactly_for_equal_points():
    space = SearchSpace.from_dict(MIXED)
    a = space.decode(np.full((1, len(space)), 0.3))[0]
    b = dict(a, x=a["x"] + 1e-3)
    keys = space.point_keys([a, dict(a), b])
    assert keys[0] == keys[1] != keys[2]


def test_snap_unit_equals_encoding_the_decoded_points():
    space = SearchSpace.from_dict(MIXED)
    X = np.random.default_rng(3).random((300, len(space)))
    np.testing.assert_allclose(space.snap_unit(X), space.encode(space.decode(X)), atol=1e-12)


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "int", "low": 1, "high": 64, "log": True},
        {"type": "int", "low": -3, "high": 9, "step": 3},
        {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1},
        {"type": "categorical", "choices": ["a", 1, True]},
    ],
)
def test_level_cells_tile_the_unit_interval_and_hold_their_level(spec):
    p = SearchSpace.from_dict({"p": spec}).parameters[0]
    levels = np.arange(p.n_levels)
    lo, hi = p.level_edges(levels)
    assert lo[0] == pytest.approx(0.0) and hi[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(hi[:-1], lo[1:])
    units = p.level_units(levels)
    assert np.all((lo <= units) & (units < hi))
    np.testing.assert_array_equal(p.unit_levels(units), levels)


def test_encoding_many_values_at_once_gives_the_bits_of_the_scalar_formula():
    space = SearchSpace.from_dict(
        {
            "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
            "n": {"type": "int", "low": 1, "high": 7},
            "act": {"type": "categorical", "choices": ["relu", "tanh", 3]},
        }
    )
    points = get_optimizer("random", space, seed=0).suggest(n=20)
    X = space.encode(points)
    lo, hi = math.log(1e-5), 0.0
    assert X[:, 0].tolist() == [min(1.0, max(0.0, (math.log(p["lr"]) - lo) / (hi - lo))) for p in points]
    assert X[:, 1].tolist() == [min(1.0, max(0.0, (float(p["n"]) - 0.5) / 7.0)) for p in points]
    assert X[:, 2].tolist() == [(["relu", "tanh", 3].index(p["act"]) + 0.5) / 3 for p in points]
