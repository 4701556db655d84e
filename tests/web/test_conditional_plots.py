"""A study on a conditional space: its page, every plot and every plot's CSV answer, with trials that
hold different parameters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import services
from studies.jobs.builtins import jenatton
from studies.plots import analysis
from studies.plots.data import PLOTS
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree_study(make_study):
    study = make_study(name="tree", job="jenatton", max_trials=30, max_parallel=30, optimizer="random")
    study.set_state("running")
    for trial_id in services.schedule_trials(study.pk):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("w1"))
        services.record_metric(attempt.pk, 1, 2.0)
        value = jenatton(attempt.trial.params)
        services.finish_attempt(attempt.pk, Outcome("complete", value=value), schedule=False)
    return study


def test_the_page_and_every_plot_answer_for_trials_of_different_branches(client, cast, tree_study):
    assert {len(t.params) for t in tree_study.trials.all()} == {4}
    assert len({tuple(t.params) for t in tree_study.trials.all()}) > 1
    analysis.analyze(tree_study)
    client.force_login(cast["viewer"])
    assert client.get(tree_study.get_absolute_url()).status_code == 200
    for kind in PLOTS:
        response = client.get(reverse("study-plot", args=[tree_study.pk, kind]))
        assert response.status_code == 200, kind
        assert "data" in response.json()["figure"], kind
        assert client.get(reverse("study-plot-csv", args=[tree_study.pk, kind])).status_code == 200, kind
    contour = reverse("study-plot", args=[tree_study.pk, "contour"]) + "?x_param=x4&y_param=r8"
    assert client.get(contour).status_code == 200
    assert (
        client.get(reverse("study-plot", args=[tree_study.pk, "posterior"]) + "?param=x6").status_code == 200
    )


def test_the_study_page_shows_the_tree_with_counts_and_best_per_branch(client, cast, tree_study):
    client.force_login(cast["viewer"])
    page = client.get(tree_study.get_absolute_url())
    rows = page.context["space_tree"]
    branches = {(r["parent"], r["value"]): r for r in rows if r["kind"] == "branch"}
    assert set(branches) == {("x1", 0), ("x1", 1), ("x2", 0), ("x2", 1), ("x3", 0), ("x3", 1)}
    trials = list(tree_study.trials.all())
    for (parent, value), row in branches.items():
        taken = [t.value for t in trials if t.params.get(parent) == value]
        assert row["n"] == len(taken) and row["best"] == (min(taken) if taken else None)
    assert [r["name"] for r in rows if r["kind"] == "param" and r["depth"] == 4] == ["x4", "x5", "x6", "x7"]
    assert b'id="space-tree"' in page.content


def test_a_flat_study_has_no_tree(client, cast, make_study):
    client.force_login(cast["viewer"])
    page = client.get(make_study(name="flat").get_absolute_url())
    assert page.context["space_tree"] == [] and b'id="space-tree"' not in page.content


def test_a_parameter_with_several_parents_shows_under_each_with_its_other_condition(client, cast, make_study):
    space = {
        "opt": {"type": "categorical", "choices": ["sgd", "adam"]},
        "kind": {"type": "categorical", "choices": ["heavy", "nag"]},
        "nesterov": {
            "type": "categorical",
            "choices": [True, False],
            "when": {"opt": ["sgd"], "kind": ["nag"]},
        },
    }
    study = make_study(name="two-parents", space=space)
    client.force_login(cast["viewer"])
    page = client.get(study.get_absolute_url())
    rows = [r for r in page.context["space_tree"] if r.get("name") == "nesterov"]
    assert [r["also"] for r in rows] == [
        [{"parent": "kind", "values": ["nag"]}],
        [{"parent": "opt", "values": ["sgd"]}],
    ]
    assert "also when <code>kind</code> in nag" in page.content.decode()
