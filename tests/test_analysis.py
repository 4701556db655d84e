"""Stored analysis: computed by `studies.analysis` (a worker's job), read by the study page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from studies import analysis, services
from studies.models import StudyAnalysis
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

SPACE = {f"x{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(1, 4)}


def _run(study, objective, n: int) -> None:
    """Drive the real services as a worker would, with `objective` as the job."""
    study.set_state("running")
    while study.trials.count() < n:
        for trial_id in services.schedule_trials(study.pk):
            attempt = services.claim_trial(trial_id, WorkerIdentity.current("t"))
            services.finish_attempt(attempt.pk, Outcome("complete", value=objective(attempt.trial.params)))


def _planted(params: dict) -> float:
    return 10 * (params["x2"] - 0.3) ** 2 + 0.01 * params["x1"] + 0.01 * params["x3"]


def test_importance_ranks_the_planted_parameter_first_and_the_page_draws_it(client, cast, make_study):
    study = make_study(space=SPACE, max_trials=60, max_parallel=6)
    _run(study, _planted, 60)
    assert analysis.analyze_if_stale(study.pk) == 60
    stored = StudyAnalysis.objects.get(study=study, kind="importance")
    ped = stored.data["ped_anova"]["params"]
    assert max(ped, key=lambda n: ped[n]["importance"]) == "x2"
    assert stored.n_trials == 60 and stored.data["ped_anova"]["warning"] is None
    assert analysis.analyze_if_stale(study.pk) is None, "nothing new: a duplicate message does nothing"

    client.force_login(cast["viewer"])
    payload = client.get(reverse("study-plot", args=[study.pk, "importance"])).json()
    assert payload["n_trials"] == 60
    assert payload["figure"]["data"][0]["y"][-1] == "x2"


def test_importance_warns_when_it_rests_on_too_few_trials(client, cast, make_study):
    study = make_study(space=SPACE, max_trials=8, max_parallel=4)
    _run(study, _planted, 8)
    call_command("analyze_study", study.pk)
    client.force_login(cast["viewer"])
    figure = client.get(reverse("study-plot", args=[study.pk, "importance"])).json()["figure"]
    assert "only 8 complete trials" in " ".join(a["text"] for a in figure["layout"]["annotations"])


def test_the_acquisition_shown_is_the_one_the_study_uses(make_study):
    assert analysis.acquisition_kind(make_study(name="a", optimizer="random")) == "ei"
    gp = make_study(name="b", optimizer="gp", optimizer_settings={"acquisition": "ucb"})
    assert analysis.acquisition_kind(gp) == "ucb"


def test_the_posterior_slice_passes_through_the_observations_when_noise_is_small(make_study):
    pytest.importorskip("studies.optimizers.posterior", reason="the GP posterior helpers have not landed yet")
    study = make_study(space=SPACE, max_trials=15, max_parallel=5)
    _run(study, _planted, 15)
    analysis.analyze(study)
    slices = StudyAnalysis.objects.get(study=study, kind="posterior").data["slices"]
    s = slices["x2"]
    best = min(_planted(t.params) for t in study.trials.all())
    i = min(range(len(s["x"])), key=lambda k: abs(s["x"][k] - s["observations"]["x"][0]))
    assert set(s) >= {"x", "mean", "lower", "upper", "acquisition", "observations", "next"}
    assert min(s["mean"]) == pytest.approx(best, abs=0.2)
    assert s["lower"][i] <= s["mean"][i] <= s["upper"][i]
