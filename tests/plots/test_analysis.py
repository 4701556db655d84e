"""Stored analysis: computed by `studies.plots.analysis` (a worker's job), read by the study page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from studies import services
from studies.models import Study, StudyAnalysis
from studies.plots import analysis
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
    seconds = Study.objects.get(pk=study.pk).analysis_seconds
    assert seconds > 0, "its duration widens the window before the next analysis"

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


def test_the_posterior_slice_passes_through_the_observations_when_noise_is_small(client, cast, make_study):
    study = make_study(space=SPACE, max_trials=15, max_parallel=5)
    _run(study, _planted, 15)
    analysis.analyze(study)
    s = StudyAnalysis.objects.get(study=study, kind="posterior").data["slices"]["x2"]
    best = min(study.trials.all(), key=lambda t: t.value)
    i = s["x"].index(min(s["x"], key=lambda x: abs(x - best.params["x2"])))
    assert s["mean"][i] == pytest.approx(best.value, abs=0.1 + abs(s["x"][i] - best.params["x2"]) * 10)
    assert s["lower"][i] <= s["mean"][i] <= s["upper"][i]
    assert len(s["acquisition"]) == len(s["x"]) and 0.0 <= s["suggestion"] <= 1.0

    client.force_login(cast["viewer"])
    figure = client.get(reverse("study-plot", args=[study.pk, "posterior"]), {"param": "x2"}).json()["figure"]
    names = {t.get("name") for t in figure["data"]}
    assert {"posterior mean", "±2σ", "observations (projected)"} <= names
    assert "next suggestion" not in names, "a random study makes no GP suggestion"
    contour = client.get(reverse("study-plot", args=[study.pk, "contour"])).json()["figure"]
    assert contour["data"][0]["type"] == "contour" and len(contour["data"][1]["x"]) == 15


def test_a_study_whose_trials_all_failed_is_analysed_and_its_plots_say_why(client, cast, make_study):
    study = make_study(space=SPACE, max_trials=3, max_parallel=3, max_retries=0)
    study.set_state("running")
    for trial_id in services.schedule_trials(study.pk):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("t"))
        services.finish_attempt(attempt.pk, Outcome("failed", reason="boom"))
    assert analysis.analyze(study) == 3
    client.force_login(cast["viewer"])
    for kind, words in [
        ("importance", "no finished trial"),
        ("posterior", "could not be fitted"),
        ("contour", "No complete trial yet"),
    ]:
        figure = client.get(reverse("study-plot", args=[study.pk, kind])).json()["figure"]
        texts = " ".join(a["text"] for a in figure["layout"]["annotations"])
        assert words in texts, (kind, texts)
        assert not figure["data"], f"{kind}: nothing to draw from no complete trial (not even shares)"
