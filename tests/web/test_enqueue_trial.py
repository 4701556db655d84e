"""The study page's "Enqueue a trial" form: prefilled from a trial, checked against the space."""

from __future__ import annotations

import pytest

from studies.jobs.builtins import SPACES
from studies.models import Trial

pytestmark = pytest.mark.django_db

MIXED = {
    "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    "layers": {"type": "int", "low": 1, "high": 8},
    "act": {"type": "categorical", "choices": ["relu", "tanh", 1, True]},
}


def _url(study, source: int | None = None) -> str:
    return f"/studies/{study.pk}/trials/new/" + (f"?from={source}" if source else "")


def test_the_form_is_prefilled_from_a_trial_and_queues_the_changed_point(client, cast, make_study):
    study = make_study(space=MIXED, job="external")
    client.force_login(cast["editor"])
    client.post(_url(study), {"lr": "0.01", "layers": "3", "act": "true"})
    first = study.trials.get(number=1)

    page = client.get(_url(study, source=1)).content.decode()
    response = client.post(_url(study, source=1), {"lr": "0.005", "layers": "3", "act": "true"})

    assert first.params == {"lr": 0.01, "layers": 3, "act": True}
    assert 'value="0.01"' in page and "Starting from trial 1" in page
    second = study.trials.get(number=2)
    assert response.status_code == 302 and response.url == second.get_absolute_url()
    assert second.params == {"lr": 0.005, "layers": 3, "act": True} and second.state == Trial.State.QUEUED
    assert "Hand-picked by editor" in client.get(second.get_absolute_url()).content.decode()


def test_a_value_outside_the_space_is_shown_on_its_field_and_nothing_is_queued(client, cast, make_study):
    study = make_study(space=SPACES["branin"], job="external")
    client.force_login(cast["editor"])

    response = client.post(_url(study), {"x1": "99", "x2": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors["x1"] and "outside" in response.context["form"].errors["x1"][0]
    assert not study.trials.exists()


def test_a_spent_budget_is_reported_on_the_form(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    client.force_login(cast["editor"])
    client.post(_url(study), {"x1": "1", "x2": "1"})

    response = client.post(_url(study), {"x1": "2", "x2": "2"})

    assert "budget of 1 trials is spent" in response.content.decode()
    assert study.trials.count() == 1


def test_only_editors_see_the_link_and_may_enqueue(client, cast, make_study):
    study = make_study()
    client.force_login(cast["viewer"])

    assert _url(study) not in client.get(study.get_absolute_url()).content.decode()
    assert client.post(_url(study), {"x1": "1", "x2": "1"}).status_code in (403, 404)
    client.force_login(cast["editor"])
    assert _url(study) in client.get(study.get_absolute_url()).content.decode()
