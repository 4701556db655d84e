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
