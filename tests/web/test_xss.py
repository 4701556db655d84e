"""Untrusted strings stay inert: escaped in every page, in json_script data,
in plot labels (plotly renders some markup), in the offline report and in the API's refusals."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from studies import services
from studies.models import ApiToken, Project, Study, Trial
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
PLOTLY = "<b onmouseover=alert(3)>bold</b>"
RAW = ("<script>alert", "<img src=x", "<b onmouseover")
HOSTILE = f"{SCRIPT} {IMG} {PLOTLY}"


@pytest.fixture
def hostile(cast, project, make_study):
    """A study where every user-typed string is an attack: names, texts, choices, notes, errors, workers."""
    Project.objects.filter(pk=project.pk).update(description=HOSTILE)
    space = {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "c": {"type": "categorical", "choices": [SCRIPT, IMG, PLOTLY]},
    }
    study = make_study(
        name=f"s {SCRIPT}{IMG}"[:120],
        description=HOSTILE,
        metric=PLOTLY,
        space=space,
        max_trials=6,
        max_parallel=6,
        max_retries=0,
        max_consecutive_failures=0,
    )
    study.set_state("running")
    for i, trial_id in enumerate(services.schedule_trials(study.pk)):
        Trial.objects.filter(pk=trial_id).update(params={"x": i / 10, "c": [SCRIPT, IMG, PLOTLY][i % 3]})
        attempt = services.claim_trial(trial_id, WorkerIdentity(f"w {PLOTLY}", f"h {IMG}", 1))
        services.record_metric(attempt.pk, 0, 1.0 + i)
        if i == 5:
            services.finish_attempt(attempt.pk, Outcome("failed", reason=HOSTILE))
        else:
            services.finish_attempt(attempt.pk, Outcome("complete", value=float(i)))
    Study.objects.filter(pk=study.pk).update(note=HOSTILE)
    Trial.objects.filter(study=study).update(note=HOSTILE)
    study.refresh_from_db()
    return study


def _page(client, url, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def _assert_inert(text: str, where: str) -> None:
    for raw in RAW:
        assert raw not in text, (where, raw)


def test_every_page_escapes_the_hostile_strings(client, cast, hostile):
    client.force_login(cast["staff"])
    pages = {
        "list": reverse("study-list"),
        "detail": hostile.get_absolute_url(),
        "leaderboard": reverse("study-live", args=[hostile.pk]),
        "trial": reverse("trial-detail", args=[hostile.pk, 6]),
        "project": reverse("project-detail", args=[hostile.project_id]),
        "projects": reverse("project-list"),
        "audit": reverse("audit-list"),
        "warm-start": reverse("study-warm-start", args=[hostile.pk]),
    }
    for where, url in pages.items():
        _assert_inert(_page(client, url), where)
    detail = _page(client, hostile.get_absolute_url())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail  # shown, as text
    trial = _page(client, reverse("trial-detail", args=[hostile.pk, 6]))
    assert "&lt;b onmouseover=alert(3)&gt;" in trial  # the error text, escaped
    compare = _page(client, reverse("study-compare"), studies=[hostile.pk])
    _assert_inert(compare, "compare")


def test_json_script_blocks_hold_the_strings_escaped(client, cast, hostile):
    client.force_login(cast["viewer"])
    page = _page(client, reverse("trial-detail", args=[hostile.pk, 1]))
    blocks = re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', page, flags=re.S)
    assert blocks
    for block in blocks:
        assert "<" not in block
        json.loads(block)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("kind", ["history", "parallel", "slice", "edf", "timeline", "curves"])
def test_plot_labels_carry_no_markup_plotly_would_render(client, cast, hostile, kind):
    client.force_login(cast["viewer"])
    figure = client.get(reverse("study-plot", args=[hostile.pk, kind])).json()["figure"]
    texts = list(_strings(figure))
    for text in texts:
        _assert_inert(text, kind)
    assert any("&lt;b onmouseover" in text for text in texts)  # the label is there, as text


def test_the_offline_report_escapes_them_too(client, cast, hostile):
    client.force_login(cast["viewer"])
    page = _page(client, reverse("study-report", args=[hostile.pk]))
    outside = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    _assert_inert(outside, "report")
    for block in re.findall(r'type="application/json">(.*?)</script>', page, flags=re.S):
        assert "<" not in block
        for text in _strings(json.loads(block)):
            _assert_inert(text, "report figure")


def test_the_csv_export_keeps_them_as_text(client, cast, hostile):
    client.force_login(cast["viewer"])
    body = _page(client, reverse("study-export", args=[hostile.pk, "csv"]))
    assert SCRIPT in body  # CSV is data, not HTML: the strings are kept as they are, never as formulas


def test_a_parameter_name_with_markup_is_refused_by_the_api(cast):
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {"name": "n", "job": "branin", "space": {PLOTLY: {"type": "float", "low": 0, "high": 1}}}
    response = api.post("/api/studies/", body, format="json")
    assert response.status_code == 400 and "not a Python identifier" in str(response.json())
