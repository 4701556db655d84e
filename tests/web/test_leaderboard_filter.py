"""The leaderboard's filter expression over HTTP: good expressions narrow the rows (and the CSV),
bad ones say what is wrong under the box, and nothing typed there reaches SQL or Python as code."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from studies.models import Trial
from tests.helpers import run_trials

pytestmark = pytest.mark.django_db

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    "layers": {"type": "int", "low": 1, "high": 5},
    "optimizer": {"type": "categorical", "choices": ["adam", "sgd"]},
    "batch": {"type": "categorical", "choices": [32, 64, 128]},
}


@pytest.fixture
def study(make_study):
    values = [0.9, None, 0.5, 0.3, 0.7, 0.2, None, 0.4, 0.6, 0.1, 0.8, 0.25]
    return run_trials(make_study(name="filtered", space=SPACE, max_trials=12, max_parallel=12), values)


@pytest.fixture
def viewer(client, cast):
    client.force_login(cast["viewer"])
    return client


def _numbers(client, study, expression: str, **extra) -> list[int]:
    response = client.get(study.get_absolute_url(), {"filter": expression, "sort": "number", **extra})
    assert response.status_code == 200, response.context["filter_error"]
    return [trial.number for trial, _values in response.context["rows"]]


def _expected(study, keep) -> list[int]:
    return [t.number for t in study.trials.order_by("number") if keep(t.params, t)]


@pytest.mark.parametrize(
    ("expression", "keep"),
    [
        ("lr < 0.01", lambda p, t: p["lr"] < 0.01),
        ("lr < 0.01 and layers >= 3", lambda p, t: p["lr"] < 0.01 and p["layers"] >= 3),
        ('state == "complete" and value <= 0.5', lambda p, t: t.state == "complete" and t.value <= 0.5),
        ("state == 'failed'", lambda p, t: t.state == "failed"),
        ('optimizer == "adam" or layers == 1', lambda p, t: p["optimizer"] == "adam" or p["layers"] == 1),
        ('not (optimizer != "sgd")', lambda p, t: p["optimizer"] == "sgd"),
        ("batch >= 64 and number > 3", lambda p, t: p["batch"] >= 64 and t.number > 3),
        ("loss > 0.45", lambda p, t: t.value is not None and t.value > 0.45),
        ("layers == 2 or layers == 4", lambda p, t: p["layers"] in (2, 4)),
        ("lr > 1e-3 AND lr <= .5", lambda p, t: 1e-3 < p["lr"] <= 0.5),
        ("lr < 1e300", lambda p, t: True),
    ],
)
def test_a_filter_keeps_exactly_the_trials_it_describes(viewer, study, expression, keep):
    assert _numbers(viewer, study, expression) == _expected(study, keep)


def test_the_filter_stays_in_every_link_of_the_leaderboard(viewer, study):
    page = viewer.get(study.get_absolute_url(), {"filter": "layers >= 2", "state": "complete"})
    html = page.content.decode()
    assert 'value="layers &gt;= 2"' in html
    assert "?filter=layers+%3E%3D+2&amp;state=complete&amp;sort=number" in html
    assert "?filter=layers+%3E%3D+2&amp;state=failed" in html


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lr <", "Expected a number or a quoted string after lr < at character 5, found the end."),
        ("depth > 3", "Unknown name 'depth' at character 1; known: "),
        ("lr < 0.01 and", "Expected a name such as value, state or a parameter at character 14"),
        ('optimizer > "adam"', "optimizer takes == or != only"),
        ('optimizer == "rmsprop"', "optimizer is one of 'adam', 'sgd'; not 'rmsprop'"),
        ('lr < "0.01"', "lr is a number: compare it with a number"),
        ('state == "done"', "state is one of"),
        ("(lr < 0.01", "Expected ')'"),
        ("lr < 0.01)", "Expected 'and', 'or' or the end at character 10"),
        ("lr = 0.01", "Unexpected '= 0.01' at character 4"),
        ("__import__('os').system('id')", "Unexpected"),
        ("__import__ == 'os'", "Unknown name '__import__'"),
        ("lr < 0.01; DROP TABLE studies_trial", "Unexpected"),
        ("params__lr__lt < 1", "Unknown name 'params__lr__lt'"),
        ("lr < 1 or " * 60 + "lr < 1", "The filter is too long"),
        ("(" * 30 + "lr < 1" + ")" * 30, "Nested more than 20 deep"),
        ("not " * 30 + "lr < 1", "Nested more than 20 deep"),
        ("lr < 1" + "0" * 30, "too large a number"),  # no database column holds it
        ("value > -1e999", "too large a number"),  # infinite
    ],
)
def test_a_bad_filter_is_explained_under_the_box_and_shows_no_rows(viewer, study, expression, message):
    response = viewer.get(study.get_absolute_url(), {"filter": expression})
    assert response.status_code == 400
    assert message in response.context["filter_error"]
    assert response.context["rows"] == []
    assert 'id="filter-error"' in response.content.decode()
    assert Trial.objects.filter(study=study).count() == 12


def test_the_leaderboard_fragment_takes_the_same_filter(viewer, study):
    url = reverse("study-live", args=[study.pk])
    response = viewer.get(url, {"filter": "layers >= 3", "sort": "number"})
    numbers = [trial.number for trial, _values in response.context["rows"]]
    assert numbers == _expected(study, lambda p, t: p["layers"] >= 3)
    assert 'id="leaderboard"' not in viewer.get(url, {"filter": "layers >"}).content.decode()


def test_the_csv_download_takes_the_filter(viewer, study):
    url = reverse("study-export", args=[study.pk, "csv"])
    response = viewer.get(url, {"filter": 'state == "complete" and value < 0.5'})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    expected = _expected(study, lambda p, t: t.state == "complete" and t.value < 0.5)
    assert [int(r["number"]) for r in rows] == expected and expected
    page = viewer.get(study.get_absolute_url(), {"filter": "value < 0.5"}).content.decode()
    assert f'href="{url}?filter=value+%3C+0.5"' in page


def test_a_bad_filter_on_the_csv_download_is_a_400_that_says_why(viewer, study):
    response = viewer.get(reverse("study-export", args=[study.pk, "csv"]), {"filter": "nope > 1"})
    assert response.status_code == 400 and "Unknown name 'nope'" in response.content.decode()


def test_metrics_named_with_slashes_or_spaces_are_filtered_by_name_or_between_backticks(viewer, make_study):
    objectives = [
        {"metric": "val/loss", "direction": "minimize"},
        {"metric": "top-1 acc", "direction": "maximize"},
    ]
    study = make_study(name="slashes", space=SPACE, objectives=objectives, max_trials=4, max_parallel=4)
    metrics = [(0.9, 0.1), (0.2, 0.7), (0.4, 0.8), (0.3, 0.2)]
    run_trials(study, [{"val/loss": loss, "top-1 acc": acc} for loss, acc in metrics])

    def kept(keep) -> list[int]:
        return [
            t.number
            for t in study.trials.order_by("number")
            if keep(t.values["val/loss"], t.values["top-1 acc"])
        ]

    assert _numbers(viewer, study, "val/loss < 0.35") == kept(lambda loss, acc: loss < 0.35)
    assert _numbers(viewer, study, "`val/loss` < 0.35 and `top-1 acc` > 0.5") == kept(
        lambda loss, acc: loss < 0.35 and acc > 0.5
    )
    unknown = viewer.get(study.get_absolute_url(), {"filter": "top-1 > 0.5"})
    assert unknown.status_code == 400
    assert "`top-1 acc`" in unknown.context["filter_error"]  # the known names, spelled as they must be typed
