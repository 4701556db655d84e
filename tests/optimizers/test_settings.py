"""One settings schema for optimizers, pruners and jobs: every error names its setting."""

from __future__ import annotations

import json

import pytest

from studies.jobs import registry
from studies.optimizers import OPTIMIZERS, SearchSpace, get_optimizer
from studies.optimizers.pruners import PRUNERS, get_pruner
from studies.optimizers.settings import Setting, SettingError, parse_settings

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


def _schemas():
    yield from ((f"optimizer {name}", schema) for name, schema in OPTIMIZERS.items())
    yield from ((f"pruner {name}", schema) for name, schema in PRUNERS.items())
    yield from ((f"job {name}", job.settings) for name, job in registry().items())


SCHEMAS = dict(_schemas())
NUMBER_SETTINGS = [
    (owner, setting)
    for owner, schema in SCHEMAS.items()
    for setting in schema
    if setting.type in ("int", "float")
]


@pytest.mark.parametrize("owner", sorted(SCHEMAS))
def test_every_schema_is_declared_settings_that_describe_themselves_as_json(owner):
    for setting in SCHEMAS[owner]:
        assert isinstance(setting, Setting)
        described = json.loads(json.dumps(setting.describe()))
        assert described["name"] == setting.name and described["default"] == setting.default
        assert setting.help, f"{owner}: {setting.name} has no help text"
    assert parse_settings(owner, SCHEMAS[owner], {}) == {s.name: s.default for s in SCHEMAS[owner]}


@pytest.mark.parametrize(("owner", "setting"), NUMBER_SETTINGS, ids=lambda v: getattr(v, "name", v))
@pytest.mark.parametrize("huge", [10**400, -(10**400), 1e308, 2**31])
def test_a_number_too_big_to_store_is_a_setting_error_not_an_overflow(owner, setting, huge):
    with pytest.raises(SettingError) as caught:
        parse_settings(owner, SCHEMAS[owner], {setting.name: huge})
    assert caught.value.setting == setting.name


@pytest.mark.parametrize("value", ["3", True, None, float("nan"), float("inf"), [1]])
def test_a_value_of_the_wrong_type_names_its_setting(value):
    with pytest.raises(SettingError) as caught:
        get_optimizer("gp", SPACE, kappa=value)
    assert caught.value.setting == "kappa"


def test_an_unknown_setting_is_named_by_its_key_for_optimizers_pruners_and_jobs():
    for build in (
        lambda: get_optimizer("tpe", SPACE, nope=1),
        lambda: get_pruner("asha", nope=1),
        lambda: registry()["branin"].validate_settings({"nope": 1}),
    ):
        with pytest.raises(SettingError) as caught:
            build()
        assert caught.value.setting == "nope"


def test_settings_that_are_not_an_object_are_an_error_on_no_single_setting():
    with pytest.raises(SettingError) as caught:
        registry()["branin"].validate_settings(["steps", 3])
    assert caught.value.setting == ""


def test_a_check_across_settings_names_the_setting_it_concerns():
    with pytest.raises(SettingError) as caught:
        get_pruner("hyperband", min_resource=10, max_resource=3)
    assert caught.value.setting == "max_resource"


def test_an_integral_float_is_accepted_as_an_int_and_a_fraction_is_not():
    assert get_optimizer("grid", SPACE, grid_points=4.0).settings["grid_points"] == 4
    with pytest.raises(SettingError, match="integer"):
        get_optimizer("grid", SPACE, grid_points=4.5)


def test_a_choice_must_match_in_type_too():
    with pytest.raises(SettingError) as caught:
        get_optimizer("gp", SPACE, acquisition=1)
    assert caught.value.setting == "acquisition"
    assert get_optimizer("gp", SPACE, acquisition="pi").settings["acquisition"] == "pi"


def test_a_blank_margin_is_left_to_the_optimizer_and_other_numbers_need_a_value():
    assert get_optimizer("gp", SPACE, xi=None).xi == 0.0
    assert get_optimizer("gp", SPACE, acquisition="pi").xi == 0.02
    with pytest.raises(SettingError):
        get_optimizer("gp", SPACE, kappa=None)


def test_a_number_setting_without_bounds_cannot_be_declared():
    with pytest.raises(TypeError):
        Setting("n", "int", 1, "unbounded")
