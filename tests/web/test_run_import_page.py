"""The "Import finished runs" form on the Enqueue page: a CSV of W&B runs becomes trials on the study page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.helpers import WANDB_RUNS, wandb_study

pytestmark = pytest.mark.django_db


def _upload(client, study, text: str):
    url = f"/studies/{study.pk}/trials/import/"
    return client.post(url, {"file": SimpleUploadedFile("runs.csv", text.encode())}, follow=True)


def test_imported_runs_show_on_the_study_page_with_what_was_added_and_skipped(client, cast, make_study):
    study = wandb_study(make_study)
    client.force_login(cast["editor"])
    form_page = client.get(f"/studies/{study.pk}/trials/new/").content.decode()

    page = _upload(client, study, WANDB_RUNS).content.decode()

    assert "Import finished runs" in form_page and "the metric <code>val_loss</code>" in form_page
    assert "Imported 3 runs as trials (0 were already there, 1 skipped: not finished)." in page
    assert "0.42" in page and "0.35" in page  # the leaderboard's values
    assert "Import runs (CSV)" in page


def test_every_bad_row_is_listed_at_the_form_and_nothing_is_stored(client, cast, make_study):
    study = wandb_study(make_study)
    client.force_login(cast["editor"])
    bad = WANDB_RUNS.replace(",0.01,64,", ",3.0,64,").replace(",0.35,0.91", ",,0.91")

    response = _upload(client, study, bad)

    page = response.content.decode()
    assert response.status_code == 200 and response.redirect_chain == []
    assert "row 2: parameter &#x27;lr&#x27;: 3.0 is outside [0.0001, 1.0]" in page
    assert "row 5: no value for the metric val_loss" in page
    assert not study.trials.exists()


def test_a_viewer_cannot_import_runs(client, cast, make_study):
    study = wandb_study(make_study)
    client.force_login(cast["viewer"])

    response = _upload(client, study, WANDB_RUNS)

    assert response.status_code == 404
    assert not study.trials.exists()


def test_one_imported_run_is_told_in_the_singular(client, cast, make_study):
    study = wandb_study(make_study)
    client.force_login(cast["editor"])
    sheet = "lr,batch_size,optimizer,val_loss\n0.01,64,adam,0.5\n"
    _upload(client, study, sheet)

    page = _upload(client, study, sheet + "0.02,64,adam,0.4\n").content.decode()

    assert "Imported 1 run as a trial (1 was already there, 0 skipped: not finished)." in page
