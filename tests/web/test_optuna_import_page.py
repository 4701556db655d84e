"""The "Import an Optuna study" page: an uploaded SQLite or journal file becomes a study."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studies.models import Study

optuna = pytest.importorskip("optuna")

pytestmark = pytest.mark.django_db


def _sqlite_file(tmp_path) -> bytes:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path / "optuna.db"
    study = optuna.create_study(study_name="uploaded", storage=f"sqlite:///{path}")
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=4)
    return path.read_bytes()


def _upload(client, project, content: bytes, **fields):
    upload = SimpleUploadedFile("optuna.db", content, content_type="application/octet-stream")
    return client.post("/studies/import/optuna/", {"file": upload, "project": project.pk, **fields})


def test_an_uploaded_sqlite_file_becomes_a_study_with_its_trials(client, cast, project, tmp_path):
    client.force_login(cast["editor"])

    response = _upload(client, project, _sqlite_file(tmp_path), name="from-optuna")

    study = Study.objects.get(name="from-optuna")
    assert response.status_code == 302 and response.url == study.get_absolute_url()
    assert study.trials.filter(state="complete").count() == 4
    assert "Import from Optuna" in client.get("/").content.decode()
    first = client.get(study.trials.get(number=1).get_absolute_url()).content.decode()
    assert "Ran in Optuna (its trial 0)" in first


def test_a_corrupt_file_is_refused_on_the_field_and_nothing_is_stored(client, cast, project, tmp_path):
    client.force_login(cast["editor"])
    truncated = _sqlite_file(tmp_path)[:3000]

    responses = [_upload(client, project, truncated), _upload(client, project, b"not optuna at all\n")]

    for response in responses:
        assert response.status_code == 200
        assert "Optuna" in " ".join(response.context["form"].errors["file"])
    assert not Study.objects.exists()


def test_a_viewer_cannot_import_into_the_project(client, cast, project, tmp_path):
    client.force_login(cast["viewer"])

    response = _upload(client, project, _sqlite_file(tmp_path))

    assert "project" in response.context["form"].errors
    assert not Study.objects.exists()
