"""The trial page as a user reads it: its neighbours, its numbers, why it failed, what it broke."""

from __future__ import annotations

import pytest

from studies import services
from studies.services import Outcome, WorkerIdentity
from tests.helpers import run_trials, two_objective_study

pytestmark = pytest.mark.django_db

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 3, in <module>\n'
    "    fit(model)\n"
    "RuntimeError: CUDA out of memory\n"
)


def _page(client, user, trial) -> str:
    client.force_login(user)
    response = client.get(trial.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</section>", 1)[0]


def _run_one(study, outcome: Outcome, params: dict | None = None, steps: int = 0, suggestion=None):
    """Schedule, claim and finish the study's next trial through the services (its params or
    suggestion set first, as an optimizer would have); the trial, refreshed."""
    study.set_state("running")
    services.schedule_trials(study.pk)
    trial = study.trials.filter(state="queued").order_by("number").first()
    fields = {"params": params} if params else {}
    study.trials.filter(pk=trial.pk).update(**fields, **({"suggestion": suggestion} if suggestion else {}))
    attempt = services.claim_trial(trial.pk, WorkerIdentity.current("w"))
    for step in range(1, steps + 1):
        services.record_metric(attempt.pk, step, 5.0 - step)
    services.finish_attempt(attempt.pk, outcome)
    trial.refresh_from_db()
    return trial


def test_a_trial_links_to_the_trials_before_and_after_it(client, cast, make_study):
    study = run_trials(make_study(max_trials=3, max_parallel=3), [1.0, 2.0, 3.0])
    first, middle, last = study.trials.order_by("number")
    page = _page(client, cast["viewer"], middle)
    assert f'href="{first.get_absolute_url()}" rel="prev">‹ Trial 1<' in page
    assert f'href="{last.get_absolute_url()}" rel="next">Trial 3 ›<' in page
    assert 'rel="prev"' not in _page(client, cast["viewer"], first)
    assert 'rel="next"' not in _page(client, cast["viewer"], last)


def test_parameters_and_results_read_to_six_significant_digits(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    params = {"x1": 0.003162277660168379, "x2": 9.999999999999999e-05}
    trial = _run_one(study, Outcome("complete", value=0.1 + 0.2), params=params)
    page = _page(client, cast["viewer"], trial)
    assert "<dd>0.00316228</dd>" in _section(page, "Parameters")
    assert "<dd>0.0001</dd>" in _section(page, "Parameters")
    assert "<dd>0.3</dd>" in _section(page, "Result")
    assert "No steps reported." in page and "reported yet" not in page  # finished: none will come


def test_a_failed_trial_leads_with_its_exception_and_each_attempt_reads_by_its_last_line(
    client, cast, make_study
):
    study = make_study(max_trials=1, max_parallel=1, max_retries=1)
    _run_one(study, Outcome("failed", reason=TRACEBACK))
    trial = _run_one(study, Outcome("failed", reason=TRACEBACK))
    assert trial.state == "failed"
    page = _page(client, cast["viewer"], trial)
    error = _section(page, "Error")
    assert error.index("<strong>RuntimeError: CUDA out of memory</strong>") < error.index("Traceback")
    attempts = _section(page, "Attempts")
    assert attempts.count("<summary>RuntimeError: CUDA out of memory</summary>") == 2
    assert attempts.count("fit(model)") == 2  # the whole traceback is one click away


def test_the_constraint_a_trial_breaks_is_marked_on_its_row(client, cast, make_study):
    study = two_objective_study(make_study, [{"error": 0.1, "latency": 3.0, "memory": 9.5}])
    page = _page(client, cast["viewer"], study.trials.get())
    result = _section(page, "Result")
    memory_row = result.split("<dt>memory</dt>", 1)[1].split("</dd>", 1)[0]
    assert "9.5" in memory_row and "broken" in memory_row
    assert "broken" not in result.split("<dt>latency</dt>", 1)[1].split("</dd>", 1)[0]


def test_a_pruned_trial_is_not_judged_against_the_prediction_of_a_final_result(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1, optimizer="gp")
    gp_info = {"phase": "model", "acquisition": "log_ei", "acquisition_value": -2.0, "mean": 1.5, "std": 0.25}
    trial = _run_one(study, Outcome("pruned", reason="below the median"), steps=1, suggestion=gp_info)
    page = _page(client, cast["viewer"], trial)
    assert '4 <span class="muted">(the last value reported before it was pruned)' in page
    assert "It measured" not in page and '"measured"' not in page


def test_a_trial_of_several_objectives_says_whether_it_is_on_the_pareto_front(client, cast, make_study):
    study = two_objective_study(
        make_study,
        [{"error": 0.1, "latency": 1.0, "memory": 2.0}, {"error": 0.2, "latency": 2.0, "memory": 2.0}],
    )
    best, dominated = study.trials.order_by("number")
    assert 'id="pareto">on it' in _page(client, cast["viewer"], best)
    assert 'id="pareto">not on it' in _page(client, cast["viewer"], dominated)
    assert "Why this trade-off" in _page(client, cast["editor"], best)


def test_choosing_the_trial_of_a_single_objective_study_speaks_of_no_trade_off(client, cast, make_study):
    study = run_trials(make_study(max_trials=1, max_parallel=1), [1.0])
    page = _page(client, cast["editor"], study.trials.get())
    assert "Why the team chose it" in page and "trade-off" not in page


def test_a_trial_of_a_conditional_space_names_the_parameters_its_branch_switches_off(
    client, cast, make_study
):
    study = make_study(job="jenatton", max_trials=1, max_parallel=1)
    branch = {"x1": 0, "x2": 1, "x5": 0.25, "r8": 0.5}
    trial = _run_one(study, Outcome("complete", value=1.0), params=branch)
    page = _page(client, cast["viewer"], trial)
    assert 'id="off-branch">Not on this trial\'s branch: x3, x4, x6, x7, r9<' in page.replace("&#x27;", "'")
    flat = run_trials(make_study(name="flat", max_trials=1, max_parallel=1), [1.0])
    assert "off-branch" not in _page(client, cast["viewer"], flat.trials.get())


def test_a_one_line_reason_is_shown_once(client, cast, make_study):
    study = make_study(max_trials=1, max_parallel=1)
    trial = _run_one(study, Outcome("pruned", reason="below the median at step 1"), steps=1)
    page = _page(client, cast["viewer"], trial)
    assert page.count("below the median at step 1") == 2  # the Pruned card and the attempt's row
    assert "<details" not in page and "<strong>below the median" not in page
