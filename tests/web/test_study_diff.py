"""Comparing studies: definitions side by side with the differences marked, labels that say what
differs, the EDF of values and the time to reach a typed target; over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import run_trials

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_gps(make_study):
    """Three GP studies that differ only in the acquisition (and one in kappa), each run."""
    settings = [{"acquisition": "ei"}, {"acquisition": "pi"}, {"acquisition": "ucb", "kappa": 2}]
    values = [[5.0, 3.0, 2.0], [4.0, 4.0, 1.0], [6.0, 0.5, 0.4]]
    return [
        run_trials(
            make_study(name=f"gp-{i}", optimizer="gp", optimizer_settings=s, max_trials=3, max_parallel=3), v
        )
        for i, (s, v) in enumerate(zip(settings, values, strict=True))
    ]


def _compare(client, studies, **extra):
    return client.get(reverse("study-compare"), {"studies": [s.pk for s in studies], **extra})


def test_studies_are_labelled_by_name_and_what_differs_never_by_optimizer_alone(client, cast, three_gps):
    client.force_login(cast["viewer"])
    response = _compare(client, three_gps)
    legend = [trace["name"] for trace in response.context["curves"]["data"]]
    assert legend == ["gp-0 · gp (ei)", "gp-1 · gp (pi)", "gp-2 · gp (ucb, kappa 2)"]
    assert [row["label"] for row in response.context["rows"]] == legend
    assert [trace["name"] for trace in response.context["edf"]["data"]] == legend


def test_the_definitions_are_side_by_side_with_the_differing_rows_marked(client, cast, three_gps):
    client.force_login(cast["viewer"])
    response = _compare(client, three_gps)
    rows = {row.label: row for _title, section in response.context["definition"] for row in section}
    assert rows["optimizer_settings.acquisition"].differs
    assert rows["optimizer_settings.acquisition"].values == ["ei", "pi", "ucb"]
    assert rows["optimizer_settings.kappa"].values == [None, None, 2]
    assert not rows["optimizer"].differs and not rows["x1"].differs and not rows["max_trials"].differs
    assert rows["x1"].values[0] == "float [-5, 10]"
    html = response.content.decode()
    assert '<tr class="differs"><th>optimizer_settings.acquisition</th>' in html
    assert "<tr><th>optimizer</th>" in html


def test_studies_that_differ_only_in_a_condition_differ_in_that_row(client, cast, make_study):
    tree = {
        "model": {"type": "categorical", "choices": ["a", "b"]},
        "x": {"type": "float", "low": 0.0, "high": 1.0, "when": {"model": ["a"]}},
    }
    other = {**tree, "x": {**tree["x"], "when": {"model": ["b"]}}}
    studies = [make_study(name="under-a", space=tree), make_study(name="under-b", space=other)]
    client.force_login(cast["viewer"])
    rows = {
        row.label: row for _t, section in _compare(client, studies).context["definition"] for row in section
    }
    assert rows["x"].values == ["float [0, 1] when model in a", "float [0, 1] when model in b"]
    assert rows["x"].differs and not rows["model"].differs


def test_the_time_to_reach_a_typed_target_per_study(client, cast, three_gps):
    client.force_login(cast["viewer"])
    response = _compare(client, three_gps, target="1.5")
    reach = [(r["label"], r["trial"]) for r in response.context["reach"]]
    assert reach == [("gp-0 · gp (ei)", None), ("gp-1 · gp (pi)", 3), ("gp-2 · gp (ucb, kappa 2)", 2)]
    assert 'id="time-to-target"' in response.content.decode()
    assert _compare(client, three_gps, target="soon").status_code == 200
    assert "rows" not in _compare(client, three_gps, target="soon").context


def test_the_edf_counts_each_studys_complete_values(client, cast, three_gps):
    client.force_login(cast["viewer"])
    trace = _compare(client, three_gps).context["edf"]["data"][2]
    assert trace["x"] == [0.4, 0.5, 6.0] and trace["y"] == [0.3333, 0.6667, 1.0]


def test_comparing_more_studies_costs_no_more_queries(client, cast, three_gps, django_assert_max_num_queries):
    client.force_login(cast["viewer"])
    with django_assert_max_num_queries(14) as two:
        _compare(client, three_gps[:2], target="1")
    with django_assert_max_num_queries(len(two.captured_queries)):
        _compare(client, three_gps, target="1")


def test_repeats_of_one_definition_with_other_seeds_get_their_median_and_spread(client, cast, make_study):
    runs = [
        run_trials(make_study(name=f"seed-{seed}", seed=seed, max_trials=2, max_parallel=2), values)
        for seed, values in ((1, [3.0, 2.0]), (2, [1.0, 4.0]), (3, [5.0, 6.0]))
    ]
    other = run_trials(make_study(name="tpe", optimizer="tpe", max_trials=2, max_parallel=2), [0.5, 0.7])
    client.force_login(cast["viewer"])
    response = _compare(client, [*runs, other])
    [group] = response.context["repeats"]
    assert group == {"studies": "seed-1, seed-2, seed-3", "n": 3, "median": 2.0, "low": 1.0, "high": 5.0}
    assert 'id="repeats"' in response.content.decode()
    assert _compare(client, [other]).context["repeats"] == []
