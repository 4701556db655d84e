"""The recommended trial in the API and on the study page: on a noisy objective, not the lowest value."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from studies import services
from studies.plots import analysis
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

SPACE = {n: {"type": "float", "low": 0.0, "high": 1.0} for n in ("x", "y")}


def bowl(p: dict) -> float:
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2


LUCKY = -0.5  # a draw no point of the bowl gives with noise 0.1 but by a 5-sigma fluke


def run_noisy(study, n: int, noise_sd: float, seed: int = 3, lucky: bool = False) -> int | None:
    """Drive the real services as a worker would, the job being `bowl` plus seeded Gaussian noise.
    With `lucky`, the first trial whose true value is poor (above 0.2) observes `LUCKY`: its number."""
    rng = np.random.default_rng(seed)
    study.set_state("running")
    lucky_number = None
    while study.trials.count() < n:
        for trial_id in services.schedule_trials(study.pk):
            attempt = services.claim_trial(trial_id, WorkerIdentity.current("t"))
            truth = bowl(attempt.trial.params)
            value = truth + noise_sd * float(rng.standard_normal())
            if lucky and lucky_number is None and truth > 0.2:
                value, lucky_number = LUCKY, attempt.trial.number
            services.finish_attempt(attempt.pk, Outcome("complete", value=value))
    return lucky_number


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gp_study_recommends_the_posterior_best_trial_once_analysed(api, client, cast, make_study, seed):
    study = make_study(space=SPACE, optimizer="gp", max_trials=40, max_parallel=4, seed=seed)
    lucky = run_noisy(study, 40, noise_sd=0.1, seed=seed, lucky=True)
    body = api.get(f"/api/studies/{study.pk}/").json()
    assert body["recommended"]["number"] == body["best"]["number"], "no model yet: the best observed"
    assert "next analysis" in body["recommended"]["why"]

    analysis.analyze(study)
    body = api.get(f"/api/studies/{study.pk}/").json()
    recommended, best = body["recommended"], body["best"]
    trials = {t.number: t for t in study.trials.all()}
    assert best["number"] == lucky, "the lucky draw is the lowest observed value"
    assert recommended["number"] != best["number"]
    assert bowl(trials[recommended["number"]].params) < bowl(trials[best["number"]].params)
    assert "posterior mean" in recommended["why"]
    assert best["value"] == min(t.value for t in trials.values()), "best stays the lowest observed"

    client.force_login(cast["viewer"])
    page = client.get(reverse("study-detail", args=[study.pk])).content.decode()
    trial_url = reverse("trial-detail", args=[study.pk, recommended["number"]])
    assert f'<a href="{trial_url}">trial {recommended["number"]}</a>' in page
    assert "posterior mean" in page


def test_other_optimizers_recommend_the_best_trial_and_the_list_leaves_it_out(api, make_study):
    study = make_study(space=SPACE, optimizer="random", max_trials=6, max_parallel=3)
    assert api.get(f"/api/studies/{study.pk}/").json()["recommended"] is None, "no trial yet"
    run_noisy(study, 6, noise_sd=0.05)
    body = api.get(f"/api/studies/{study.pk}/").json()
    assert body["recommended"] == {"number": body["best"]["number"], "why": "the best observed value"}
    assert "recommended" not in api.get("/api/studies/").json()["results"][0]
