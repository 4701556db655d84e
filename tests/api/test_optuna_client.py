"""The client's Optuna integration against a running hpoweb: the mirror callback and the sampler."""

from __future__ import annotations

import pytest

from studies import services
from studies.jobs.builtins import SPACES
from studies.models import ApiToken, Study, Trial

optuna = pytest.importorskip("optuna")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
]


@pytest.fixture
def client(live_server, cast):
    from hpoweb_client import Client

    _token, key = ApiToken.issue(cast["editor"])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return Client(live_server.url, key, retry_for=10.0)


def _objective(trial):
    x1, x2 = trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15)
    if trial.number == 2:
        raise ValueError("diverged")
    for step in range(3):
        trial.report((x1 - 1) ** 2 + x2 + 3 - step, step)
        if trial.number == 3:
            raise optuna.TrialPruned()
    return (x1 - 1) ** 2 + x2


def test_the_callback_mirrors_every_finished_trial_with_its_state_value_and_curve(client, cast):
    from hpoweb_optuna import HpowebCallback

    source = optuna.create_study(study_name="mirrored", sampler=optuna.samplers.TPESampler(seed=1))
    mirror = HpowebCallback(client, project="Vision")

    source.optimize(_objective, n_trials=5, callbacks=[mirror], catch=(ValueError,))
    mirror(source, source.trials[0])  # a repeat (a retried call) records nothing twice

    study = Study.objects.get(pk=mirror.study_id)
    assert study.name == "mirrored" and study.job == "external"
    assert study.space.to_dict() == {
        "x1": {"type": "float", "low": -5.0, "high": 10.0, "log": False},
        "x2": {"type": "float", "low": 0.0, "high": 15.0, "log": False},
    }
    trials = list(study.trials.order_by("number"))
    assert [t.state for t in trials] == ["complete", "complete", "failed", "pruned", "complete"]
    for trial, original in zip(trials, source.trials, strict=True):
        assert trial.params == original.params
        assert trial.curve() == sorted(original.intermediate_values.items())
    assert [trials[i].value for i in (0, 1, 4)] == [source.trials[i].value for i in (0, 1, 4)]
    assert trials[3].value == source.trials[3].intermediate_values[0]


def test_a_resumed_named_optuna_study_goes_on_mirroring_into_the_study_its_first_run_created(
    client, tmp_path
):
    from hpoweb_optuna import HpowebCallback

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    first = optuna.create_study(
        study_name="resumed", storage=storage, sampler=optuna.samplers.RandomSampler(0)
    )
    first.optimize(_objective, n_trials=2, callbacks=[HpowebCallback(client, project="Vision")])

    again = optuna.load_study(study_name="resumed", storage=storage, sampler=optuna.samplers.RandomSampler(1))
    mirror = HpowebCallback(client, project="Vision")  # a new process: it knows no study id
    again.optimize(_objective, n_trials=1, callbacks=[mirror], catch=(ValueError,))
    mirror(again, again.trials[0])  # a trial of the first run, told again, counts once

    study = Study.objects.get(pk=mirror.study_id)
    assert Study.objects.filter(name="resumed").count() == 1
    assert [t.params for t in study.trials.order_by("number")] == [t.params for t in again.trials]


def test_the_sampler_runs_an_optuna_study_on_the_points_hpoweb_proposes(client, make_study):
    from hpoweb_optuna import HpowebSampler

    study = make_study(
        name="gp-driven", job="external", space=SPACES["branin"], max_trials=6, max_parallel=1, max_retries=0
    )
    services.start_study(study)
    source = optuna.create_study(sampler=HpowebSampler(client, study.pk, poll_s=0.2))

    source.optimize(_objective, n_trials=5, catch=(ValueError,))

    trials = list(study.trials.order_by("number"))[:5]
    assert [t.params for t in trials] == [t.params for t in source.trials]
    assert [t.state for t in trials] == ["complete", "complete", "failed", "pruned", "complete"]
    assert trials[0].value == source.trials[0].value
    assert trials[1].curve() == sorted(source.trials[1].intermediate_values.items())
    assert Trial.objects.filter(study=study, state="running").count() <= 1


def test_an_infinite_objective_fails_the_hpoweb_trial_and_the_optuna_run_goes_on(client, make_study):
    from hpoweb_optuna import HpowebSampler

    study = make_study(job="external", space=SPACES["branin"], max_trials=2, max_parallel=1, max_retries=0)
    services.start_study(study)
    source = optuna.create_study(sampler=HpowebSampler(client, study.pk, poll_s=0.2))

    def diverging(trial):
        value = _objective(trial)
        return float("inf") if trial.number == 0 else value

    source.optimize(diverging, n_trials=2)

    trials = list(study.trials.order_by("number"))
    assert [t.state for t in trials] == ["failed", "complete"]
    assert "inf, not a finite number" in trials[0].error


def test_an_enqueued_optuna_trial_is_recorded_with_the_parameters_it_ran_not_those_hpoweb_proposed(
    client, make_study
):
    from hpoweb_optuna import HpowebSampler

    study = make_study(job="external", space=SPACES["branin"], max_trials=4, max_parallel=1, max_retries=0)
    services.start_study(study)
    source = optuna.create_study(sampler=HpowebSampler(client, study.pk, poll_s=0.2))
    source.enqueue_trial({"x1": 0.5, "x2": 7.0})

    source.optimize(lambda t: t.suggest_float("x1", -5, 10) + t.suggest_float("x2", 0, 15), n_trials=2)

    complete = study.trials.filter(state="complete").order_by("finished")
    assert [(t.params, t.value) for t in complete] == [(t.params, t.value) for t in source.trials]
    assert "ran other parameters" in study.trials.get(state="failed").error


def test_a_proposal_outside_the_range_optuna_asks_for_fails_the_trial_instead_of_running_it(
    client, make_study
):
    from hpoweb_optuna import HpowebSampler

    study = make_study(job="external", space=SPACES["branin"], max_trials=1, max_parallel=1, max_retries=0)
    services.start_study(study)
    source = optuna.create_study(sampler=HpowebSampler(client, study.pk, poll_s=0.2))

    source.optimize(lambda t: t.suggest_float("x1", 100, 200), n_trials=1, catch=(ValueError,))

    assert source.trials[0].state == optuna.trial.TrialState.FAIL and source.trials[0].params == {}
    assert study.trials.get().state == "failed"


def test_the_callback_mirrors_a_multi_objective_study_with_every_value_and_fails_an_infinite_one(client):
    from hpoweb_optuna import HpowebCallback

    source = optuna.create_study(study_name="mo-mirror", directions=["minimize", "maximize"])
    source.set_metric_names(["error", "speed"])
    mirror = HpowebCallback(client, project="Vision")

    source.optimize(
        lambda t: (t.suggest_float("x", 0, 1), float("inf") if t.number == 1 else 2.0),
        n_trials=2,
        callbacks=[mirror],
    )

    study = Study.objects.get(pk=mirror.study_id)
    assert [o["metric"] for o in study.objectives] == ["error", "speed"]
    first, second = study.trials.order_by("number")
    assert first.values == {"error": source.trials[0].values[0], "speed": 2.0}
    assert (second.state, second.values) == ("failed", None) and "not all finite" in second.error


def test_the_sampler_tells_a_multi_objective_trial_every_value_under_its_metric(client, make_study):
    from hpoweb_optuna import HpowebSampler

    study = make_study(
        job="external",
        space=SPACES["branin"],
        metric="error",
        objectives=[
            {"metric": "error", "direction": "minimize"},
            {"metric": "size", "direction": "minimize"},
        ],
        max_trials=2,
        max_parallel=1,
    )
    services.start_study(study)
    source = optuna.create_study(
        sampler=HpowebSampler(client, study.pk, poll_s=0.2), directions=["minimize", "minimize"]
    )

    source.optimize(lambda t: (t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)), n_trials=2)

    trials = list(study.trials.order_by("number"))
    assert [t.values for t in trials] == [
        dict(zip(["error", "size"], t.values, strict=True)) for t in source.trials
    ]
