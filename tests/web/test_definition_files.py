"""Pages for a definition as a file: "Download definition" and "New study from a file"."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from studies.definition import definition_of
from studies.models import Study

pytestmark = pytest.mark.django_db


def _upload(client, text: str, **fields):
    upload = SimpleUploadedFile("sweep.yaml", text.encode(), content_type="application/yaml")
    return client.post("/studies/new/from-file/", {"file": upload, **fields})


def test_the_study_page_offers_its_definition_and_the_file_creates_a_copy(client, cast, make_study):
    source = make_study(name="source")
    client.force_login(cast["editor"])
    page = client.get(source.get_absolute_url()).content.decode()
    download = client.get(f"/studies/{source.pk}/definition.yaml")

    response = _upload(client, download.content.decode(), name="copy", start="on")

    assert f"/studies/{source.pk}/definition.yaml" in page
    assert download["Content-Disposition"] == f'attachment; filename="study-{source.pk}.yaml"'
    copy = Study.objects.get(name="copy")
    assert response.status_code == 302 and response.url == copy.get_absolute_url()
    assert {**definition_of(copy), "name": "source"} == definition_of(source)
    assert copy.state == Study.State.RUNNING


def test_a_definition_error_is_shown_with_its_path_on_the_file_field(client, cast, make_study):
    source = make_study(name="source")
    client.force_login(cast["editor"])
    document = yaml.safe_load(client.get(f"/studies/{source.pk}/definition.yaml").content)
    document["space"]["x1"]["low"] = "low"

    response = _upload(client, yaml.safe_dump(document), name="broken")

    errors = response.context["form"].errors["file"]
    assert response.status_code == 200 and any(e.startswith("space.x1") for e in errors), errors
    assert not Study.objects.filter(name="broken").exists()


def test_a_file_that_is_not_yaml_is_refused_on_the_field(client, cast):
    client.force_login(cast["editor"])

    response = _upload(client, "name: [unclosed")

    assert "not YAML or JSON" in response.context["form"].errors["file"][0]
    assert not Study.objects.exists()


def test_a_viewer_cannot_create_a_study_in_the_project_from_a_file(client, cast, make_study, project):
    source = make_study(name="source")
    client.force_login(cast["viewer"])
    text = client.get(f"/studies/{source.pk}/definition.yaml").content.decode()

    response = _upload(client, text.replace("name: source", "name: mine"))

    assert "project" in " ".join(response.context["form"].errors["file"])
    assert not Study.objects.filter(name="mine").exists()
