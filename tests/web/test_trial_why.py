"""The trial page explains why the optimizer proposed the trial, from what it stored at suggestion time."""

from __future__ import annotations

import math

import pytest

from studies import services
from studies.plots import suggestion
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

GP_INFO = {
    "phase": "model",
    "acquisition": "log_ei",
    "acquisition_value": -2.0,
    "mean": 1.5,
    "std": 0.25,
    "incumbent": 1.2,
    "n_pending": 1,
    "n_observations": 9,
}


def _finished_trial(make_study, suggestion: dict, value: float, **fields):
    study = make_study(max_trials=1, max_parallel=1, **fields)
    study.set_state("running")
    trial_id = services.schedule_trials(study.pk)[0]
    study.trials.filter(pk=trial_id).update(suggestion=suggestion)
    attempt = services.claim_trial(trial_id, WorkerIdentity.current("t"))
    services.finish_attempt(attempt.pk, Outcome("complete", value=value))
    return study.trials.get(pk=trial_id)


def test_a_gp_trial_shows_the_acquisition_prediction_incumbent_and_how_it_turned_out(
    client, cast, make_study
):
    trial = _finished_trial(make_study, GP_INFO, 1.0, optimizer="gp")
    client.force_login(cast["viewer"])
    page = client.get(trial.get_absolute_url()).content.decode()
    assert "expected improvement (log EI)" in page and "fitted to 9 results" in page
    assert "and 1 trial still running" in page
    assert "1.5 ± 0.25 (±2σ: 1 … 2)" in page
    assert "Expected improvement" in page and "0.135335" in page
    assert "1.2 (best minimized value so far)" in page
    assert (
        "It measured 1: 2.0σ from the prediction, inside the ±2σ band, and it improved on the incumbent."
        in page
    )
    assert 'id="prediction-data"' in page


def test_a_start_up_or_random_trial_says_no_model_chose_it(client, cast, make_study):
    trial = _finished_trial(make_study, {"phase": "startup"}, 2.0, optimizer="gp")
    client.force_login(cast["viewer"])
    page = client.get(trial.get_absolute_url()).content.decode()
    assert "start-up points" in page and "prediction-data" not in page
    random_trial = _finished_trial(make_study, {}, 2.0, name="r")
    page = client.get(random_trial.get_absolute_url()).content.decode()
    assert "no model: each point is independent of the results" in page


def test_unknown_suggestion_keys_are_shown_escaped(client, cast, make_study):
    trial = _finished_trial(
        make_study, {"phase": "model", "novel_key": 0.5, "<x>": "<b>"}, 2.0, optimizer="tpe"
    )
    client.force_login(cast["viewer"])
    page = client.get(trial.get_absolute_url()).content.decode()
    assert "novel_key" in page and "&lt;b&gt;" in page and "<b>" not in page.split("Why this trial")[1][:2000]


def _model_trial(make_study, optimizer: str, **settings):
    """The last trial of a real run of `optimizer` on branin that its model (not its start-up) chose."""
    study = make_study(optimizer=optimizer, optimizer_settings=settings, max_trials=7, max_parallel=1)
    study.set_state("running")
    while trial_ids := services.schedule_trials(study.pk):
        attempt = services.claim_trial(trial_ids[0], WorkerIdentity.current("t"))
        value = sum(attempt.trial.params.values())
        services.finish_attempt(attempt.pk, Outcome("complete", value=value), schedule=False)
    return study.trials.get(number=7)


def _why(client, user, trial) -> str:
    client.force_login(user)
    page = client.get(trial.get_absolute_url()).content.decode()
    return page.split("<h2>Why this trial</h2>", 1)[1].split("</section>", 1)[0]


def test_a_tpe_trial_explains_its_density_ratio_in_words_not_internal_keys(client, cast, make_study):
    trial = _model_trial(make_study, "tpe", n_startup=3)
    info = trial.suggestion
    why = _why(client, cast["viewer"], trial)
    assert "TPE modelled the best trial so far and the other 5" in why
    ratio, score = math.exp(info["log_l_over_g"]), info["log_l_over_g"]
    assert f"<dt>Good : other density ratio</dt><dd>{ratio:.6g} (log {score:.6g})</dd>" in why
    assert "<dt>Trials modelled</dt><dd>1 good, 5 other</dd>" in why
    for key in ("log_l_over_g", "n_good", "n_bad", "Proposed by tpe"):
        assert key not in why


def test_a_cma_es_trial_names_its_generation_and_step_size(client, cast, make_study):
    trial = _model_trial(make_study, "cmaes")
    info = trial.suggestion
    why = _why(client, cast["viewer"], trial)
    assert "Drawn by CMA-ES from its search distribution" in why
    assert f"<dt>Step size σ</dt><dd>{info['sigma']:.6g} (of the space" in why
    assert f"<dd>{info['generation'] + 1} of its run ({info['population']} points each)</dd>" in why
    for key in ("sigma", "population", "restart<"):
        assert key not in why


def test_a_trial_put_in_place_of_a_repeated_proposal_says_so(client, cast, make_study):
    trial = _finished_trial(make_study, {"phase": "fallback"}, 2.0, optimizer="tpe")
    why = _why(client, cast["viewer"], trial)
    assert "taken in place of what tpe proposed, which had been evaluated already or was pending" in why


def test_a_warm_started_trial_says_where_it_was_copied_from(client, cast, make_study):
    trial = _finished_trial(make_study, {"warm_start": "study 'resnet-a' trial 3"}, 2.0, optimizer="tpe")
    why = _why(client, cast["viewer"], trial)
    assert (
        "Copied with its result from study &#x27;resnet-a&#x27; trial 3 when this study was warm-started"
        in why
    )
    assert "warm_start" not in why


def _two_objective_gp_trial(make_study, **settings):
    """The fifth trial of a real gp run on two objectives under a memory limit (the first three are
    start-up points); every trial's results told at once."""
    study = make_study(
        job="external",
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        objectives=[
            {"metric": "error", "direction": "minimize"},
            {"metric": "latency", "direction": "minimize"},
        ],
        constraints=[{"metric": "memory", "max": 8.0}],
        metric="error",
        optimizer="gp",
        optimizer_settings={"n_startup": 3, **settings},
        max_trials=5,
        max_parallel=1,
    )
    study.set_state("running")
    while trial_ids := services.schedule_trials(study.pk):
        attempt = services.claim_trial(trial_ids[0], WorkerIdentity.current("t"))
        x = attempt.trial.params["x"]
        values = {"error": x, "latency": (1 - x) ** 2, "memory": 10 * x}
        services.finish_attempt(attempt.pk, Outcome("complete", values=values), schedule=False)
    return study.trials.get(number=5)


def test_a_trial_of_several_objectives_says_what_hypervolume_gain_and_results_the_gp_expected(
    client, cast, make_study
):
    trial = _two_objective_gp_trial(make_study)
    predicted, spread = trial.suggestion["predicted"], trial.suggestion["predicted_std"]
    client.force_login(cast["viewer"])

    page = client.get(trial.get_absolute_url()).content.decode()

    assert "expected hypervolume improvement was highest" in page
    assert f"to the front of {trial.suggestion['n_front']} trial" in page
    for metric in ("error", "latency"):
        assert f"{metric} {predicted[metric]:.6g} ± {spread[metric]:.6g}" in page
    assert 'id="feasible"' in page and "constraint: at most 8" in page


def test_a_parego_trial_of_several_objectives_says_which_trade_off_the_gp_aimed_at(client, cast, make_study):
    """With `multi_objective=parego` a suggestion records the random weights of the objectives."""
    trial = _two_objective_gp_trial(make_study, multi_objective="parego")
    weights = trial.suggestion["weights"]
    client.force_login(cast["viewer"])

    page = client.get(trial.get_absolute_url()).content.decode()

    leaning = max(weights, key=weights.get)
    assert f"this weighting leaned towards {leaning} ({weights[leaning]:.0%})" in page
    assert f"error {weights['error']:.2f}, latency {weights['latency']:.2f}" in page
    assert "chance that all hold" in page and "Predicted weighted loss" in page
    assert 'id="feasible"' in page and "constraint: at most 8" in page


def test_the_incumbent_label_sits_above_its_line_not_struck_through():
    figure = suggestion.prediction_figure(GP_INFO, 1.0, "loss")
    (label,) = figure["layout"]["annotations"]
    assert label["text"] == "incumbent then" and label["y"] == 1.2 and label["yanchor"] == "bottom"
