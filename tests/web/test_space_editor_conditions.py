"""The space editor's conditions: a row's parent and values become `when`, a bad one is shown on the row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.models import Study
from tests.helpers import study_form

pytestmark = pytest.mark.django_db

TREE_ROWS = {
    "param-TOTAL_FORMS": "4",
    "param-2-name": "opt",
    "param-2-type": "categorical",
    "param-2-choices": "sgd, adam",
    "param-3-name": "momentum",
    "param-3-type": "float",
    "param-3-low": "0",
    "param-3-high": "0.99",
    "param-3-parent": "opt",
    "param-3-parent_values": "sgd",
}


def test_a_child_row_is_stored_with_its_condition(client, cast, project):
    client.force_login(cast["editor"])
    response = client.post(reverse("study-create"), study_form(project=str(project.pk), **TREE_ROWS))
    study = Study.objects.get(name="digits-random")
    assert response.status_code == 302
    assert study.space.to_dict()["momentum"] == {
        "type": "float",
        "low": 0.0,
        "high": 0.99,
        "log": False,
        "when": {"opt": ["sgd"]},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"param-3-parent_values": "rmsprop"},
            "&#x27;rmsprop&#x27; is not a value of parent &#x27;opt&#x27;",
        ),
        ({"param-3-parent": "x1"}, "must be categorical or int"),
        ({"param-3-parent": "nope"}, "parent &#x27;nope&#x27; is not a parameter"),
        ({"param-3-parent_values": ""}, "the values of the parent"),
    ],
)
def test_a_bad_condition_is_shown_on_its_row_and_nothing_is_stored(client, cast, project, change, message):
    client.force_login(cast["editor"])
    response = client.post(
        reverse("study-create"), study_form(project=str(project.pk), **{**TREE_ROWS, **change})
    )
    assert response.status_code == 200
    row = response.context["formset"].forms[3]
    assert row.errors, row.errors
    assert message in response.content.decode()
    assert not Study.objects.exists()


SEVERAL_PARENTS = {
    **TREE_ROWS,
    "param-TOTAL_FORMS": "6",
    "param-4-name": "nesterov",
    "param-4-type": "categorical",
    "param-4-choices": "true, false",
    "param-4-parent": "opt; momentum_kind",
    "param-4-parent_values": "sgd; heavy, nag",
    "param-5-name": "momentum_kind",
    "param-5-type": "categorical",
    "param-5-choices": "heavy, nag, none",
}


def test_a_row_with_several_parents_is_stored_with_a_condition_on_each(client, cast, project):
    client.force_login(cast["editor"])
    response = client.post(reverse("study-create"), study_form(project=str(project.pk), **SEVERAL_PARENTS))
    assert response.status_code == 302
    when = Study.objects.get(name="digits-random").space.to_dict()["nesterov"]["when"]
    assert when == {"opt": ["sgd"], "momentum_kind": ["heavy", "nag"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"param-4-parent_values": "sgd"}, "one list of values per parent"),
        ({"param-4-parent_values": "sgd; "}, "one list of values per parent"),
        ({"param-4-parent_values": "sgd; adamw"}, "&#x27;adamw&#x27; is not a value of parent"),
        ({"param-5-parent": "nesterov", "param-5-parent_values": "true"}, "its conditions form a cycle"),
        (
            {"param-5-parent": "opt", "param-5-parent_values": "adam"},
            "its condition on &#x27;opt&#x27; can never hold",
        ),
        ({"param-4-parent": "nesterov; opt", "param-4-parent_values": "true; sgd"}, "its own parent"),
    ],
)
def test_a_bad_condition_among_several_parents_is_shown_on_its_row(client, cast, project, change, message):
    client.force_login(cast["editor"])
    form = study_form(project=str(project.pk), **{**SEVERAL_PARENTS, **change})
    response = client.post(reverse("study-create"), form)
    assert response.status_code == 200
    assert response.context["formset"].forms[4].errors
    assert message in response.content.decode()
    assert not Study.objects.exists()
