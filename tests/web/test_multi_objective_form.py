"""The New study form defines objectives and constraints through the one definition validator."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from studies.models import Study
from tests.helpers import study_form

pytestmark = pytest.mark.django_db

OBJECTIVES = [{"metric": "f1", "direction": "minimize"}, {"metric": "f2", "direction": "minimize"}]


def test_the_form_stores_objectives_and_constraints(client, cast, project):
    client.force_login(cast["editor"])
    data = study_form(
        project=str(project.pk),
        job="external",
        optimizer="nsga2",
        objectives=json.dumps(OBJECTIVES),
        constraints='[{"metric": "memory", "max": 8}]',
    )
    response = client.post(reverse("study-create"), data)
    study = Study.objects.get(name="digits-random")
    assert response.status_code == 302
    assert study.objectives == OBJECTIVES and study.constraints == [{"metric": "memory", "max": 8.0}]
    assert (study.metric, study.direction) == ("f1", "minimize")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"objectives": json.dumps([OBJECTIVES[0], OBJECTIVES[0]])}, "objectives"),
        ({"objectives": "[]", "constraints": '[{"metric": "m", "max": 1}]'}, "constraints"),
        ({"objectives": json.dumps(OBJECTIVES), "constraints": '[{"metric": "m"}]'}, "constraints"),
        ({"objectives": json.dumps(OBJECTIVES), "pruner": "median"}, "pruner"),
    ],
)
def test_a_bad_objective_definition_is_shown_on_its_field_and_nothing_is_stored(
    client, cast, project, fields, field
):
    client.force_login(cast["editor"])
    data = study_form(project=str(project.pk), job="external", optimizer="nsga2", **fields)
    response = client.post(reverse("study-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Study.objects.exists()


def test_the_form_offers_each_multi_metric_jobs_objectives_and_constraints(client, cast):
    client.force_login(cast["editor"])
    response = client.get(reverse("study-create"))
    jobs = json.loads(re.search(r'id="job-spaces"[^>]*>(.*?)</script>', response.content.decode()).group(1))
    assert jobs["zdt1"]["objectives"] == OBJECTIVES and jobs["zdt1"]["constraints"] == []
    assert [o["metric"] for o in jobs["dtlz2"]["objectives"]] == ["f1", "f2", "f3"]
    assert jobs["gramacy"]["constraints"] == [{"metric": "c1", "max": 0.0}, {"metric": "c2", "max": 0.0}]
    assert jobs["tabular_mlp_cost"]["objectives"][1]["metric"] == "n_parameters"
    assert jobs["digits_mlp"]["objectives"] == [] and jobs["digits_mlp"]["constraints"] == []
