"""A study's definition as a YAML or JSON file through the API: written from a study, read back."""

from __future__ import annotations

import io
import json

import pytest
import yaml

from studies.definition import definition_of
from studies.models import Study
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

SWEEP = """
name: yaml-sweep
job: external
direction: maximize
metric: accuracy
optimizer: gp
space:
  lr: {type: float, low: 1e-5, high: 1e-1, log: true}
  layers: {type: int, low: 1, high: 4}
  act: {type: categorical, choices: [relu, tanh]}
max_trials: 12
max_parallel: 3
"""


def _create_from_yaml(api, text: str):
    return api.post("/api/studies/", text.encode(), content_type="application/yaml")


def test_a_yaml_sweep_creates_the_study_it_describes(api):
    response = _create_from_yaml(api, SWEEP)

    assert response.status_code == 201, response.json()
    study = Study.objects.get(pk=response.json()["id"])
    assert (study.direction, study.optimizer, study.max_trials, study.max_parallel) == (
        "maximize",
        "gp",
        12,
        3,
    )
    assert study.space.to_dict()["lr"] == {"type": "float", "low": 1e-5, "high": 0.1, "log": True}


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_a_downloaded_definition_creates_the_same_study_under_a_new_name(api, make_study, kind):
    source = make_study(name="source", optimizer="gp", max_trials=9, optimizer_settings={"n_startup": 4})
    text = api.get(f"/api/studies/{source.pk}/definition.{kind}").content.decode()
    document = yaml.safe_load(text) if kind == "yaml" else json.loads(text)
    document["name"] = "copy"

    if kind == "yaml":
        response = _create_from_yaml(api, yaml.safe_dump(document))
    else:
        response = api.post("/api/studies/", document, format="json")

    assert response.status_code == 201, response.json()
    copy = Study.objects.get(pk=response.json()["id"])
    assert {**definition_of(copy), "name": "source"} == definition_of(source)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (SWEEP.replace("low: 1, high: 4", "low: 5, high: 4"), "space.layers"),
        (SWEEP + "sweep_method: bayes\n", "sweep_method"),
        ("name: [unclosed\n", "detail"),
        ("base: &b {type: int, low: 1, high: 2}\nspace: {a: *b}\n", "detail"),
        ("- just\n- a list\n", "detail"),
        (SWEEP + "max_trials: 9\nmax_trials: 10\n", "detail"),
    ],
)
def test_a_bad_definition_file_is_a_400_naming_what_is_wrong_and_stores_nothing(api, text, path):
    response = _create_from_yaml(api, text)

    assert response.status_code == 400
    assert any(key.startswith(path) for key in response.json()), response.json()
    assert not Study.objects.exists()


def test_a_stranger_cannot_read_a_studys_definition(cast, make_study):
    study = make_study()

    assert token_client(cast["stranger"]).get(f"/api/studies/{study.pk}/definition.yaml").status_code == 404


def test_a_json_body_over_the_request_limit_is_a_json_413_not_an_html_page(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "big", "description": "a" * 2000})

    response = api.generic("POST", "/api/studies/", body, content_type="application/json")

    assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert not Study.objects.exists()


def test_a_yaml_body_is_refused_after_reading_one_byte_more_than_a_definition_may_hold():
    from rest_framework.exceptions import ParseError

    from studies.api.parsers import YAMLParser
    from studies.definition_files import MAX_FILE

    body = io.BytesIO(b"#" * (8 * MAX_FILE))  # a hostile client's body may be as long as it likes

    with pytest.raises(ParseError, match="larger than"):
        YAMLParser().parse(body)
    assert body.tell() == MAX_FILE + 1
