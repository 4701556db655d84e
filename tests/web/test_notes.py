"""Markdown notes on studies and trials: edited by editors, rendered with no script surviving."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import services
from studies.models import AuditEvent, Study
from studies.notes import render

pytestmark = pytest.mark.django_db

HOSTILE = """# Result

**lr** matters: see [the paper](https://example.org) and `code`.

<script>alert(1)</script>
"><img src=x onerror=alert(2)>
[click](javascript:alert(3))
<a href="#" onclick="alert(4)">x</a>
"""


def test_markdown_is_rendered_and_nothing_executable_survives():
    html = str(render(HOSTILE))
    assert "<h1>Result</h1>" in html and "<strong>lr</strong>" in html and "<code>code</code>" in html
    assert 'href="https://example.org"' in html
    for bad in ("<script", "onerror", "javascript:", "onclick", "<img"):
        assert bad not in html, bad


def test_an_editor_edits_the_study_note_and_everyone_who_sees_the_study_reads_it(client, cast, make_study):
    study = make_study()
    client.force_login(cast["editor"])
    response = client.post(reverse("study-note", args=[study.pk]), {"note": HOSTILE})
    assert response["Location"] == study.get_absolute_url()
    assert Study.objects.get(pk=study.pk).note == HOSTILE
    assert AuditEvent.objects.filter(action="note", study=study).exists()
    client.force_login(cast["viewer"])
    page = client.get(study.get_absolute_url()).content.decode()
    assert "<h1>Result</h1>" in page and "<script>alert" not in page and "onerror" not in page
    assert reverse("study-note", args=[study.pk]) not in page


def test_viewers_and_strangers_cannot_edit_notes(client, cast, make_study):
    study = make_study()
    for who in ("viewer", "stranger"):
        client.force_login(cast[who])
        assert client.get(reverse("study-note", args=[study.pk])).status_code == 404
        assert client.post(reverse("study-note", args=[study.pk]), {"note": "x"}).status_code == 404
    assert Study.objects.get(pk=study.pk).note == ""


def test_a_trial_note_is_edited_and_shown_on_the_trial_page(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    study.set_state("running")
    services.schedule_trials(study.pk)
    client.force_login(cast["editor"])
    client.post(
        reverse("trial-note", args=[study.pk, 1]), {"note": "*diverged* <img src=x onerror=alert(1)>"}
    )
    page = client.get(reverse("trial-detail", args=[study.pk, 1])).content.decode()
    assert "<em>diverged</em>" in page and "onerror" not in page
    client.force_login(cast["viewer"])
    assert client.post(reverse("trial-note", args=[study.pk, 1]), {"note": "x"}).status_code == 404
