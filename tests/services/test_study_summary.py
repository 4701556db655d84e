"""A study's summary (counts per state, the best trial) stays equal to a recount through every
transition of a trial's life, and the pages and API that read it stay flat in the number of trials."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studies import services
from studies.added_trials import Result, add_trial
from studies.exports import json_chunks
from studies.imports import import_study, read_document, warm_start
from studies.models import Attempt, Project, StudySummary, Trial
from studies.services import Outcome, WorkerIdentity

pytestmark = pytest.mark.django_db

WORKER = WorkerIdentity.current("w1")


def assert_kept(study) -> None:
    """The summary as kept equals the study's trials counted and ranked afresh."""
    tallied = StudySummary.tally(study)
    kept = StudySummary.objects.filter(study=study).values(*tallied).get()
    assert kept == tallied


def _summary(study) -> StudySummary:
    return StudySummary.objects.get(study=study)


def _claim_next(study) -> Attempt:
    queued = study.trials.filter(state="queued", enqueued__isnull=False).order_by("number").first()
    attempt = services.claim_trial(queued.pk, WORKER)
    assert_kept(study)
    return attempt


def test_the_counts_and_the_best_equal_a_recount_after_every_transition(make_study, cast):
    study = make_study(max_trials=14, max_parallel=3, max_retries=1, pruner="median")
    assert_kept(study)
    services.start_study(study)
    services.schedule_trials(study.pk)  # queue
    assert_kept(study)
    attempt = _claim_next(study)  # claim
    services.finish_attempt(attempt.pk, Outcome("complete", value=3.0))  # finish
    assert_kept(study)
    attempt = _claim_next(study)
    services.finish_attempt(attempt.pk, Outcome("failed", reason="boom"))  # fail: queued again (a retry)
    assert_kept(study)
    attempt = _claim_next(study)
    services.finish_attempt(attempt.pk, Outcome("pruned", reason="early"))  # prune
    assert_kept(study)
    attempt = _claim_next(study)
    services.finish_attempt(attempt.pk, Outcome("interrupted", reason="worker stopping"))  # back to queued
    assert_kept(study)
    attempt = _claim_next(study)
    services.finish_attempt(attempt.pk, Outcome("complete", value=1.0))  # a new best
    assert_kept(study)
    services.schedule_trials(study.pk)
    queued = study.trials.filter(state="queued").first()
    services.cancel_trial(queued)  # cancel a queued trial
    assert_kept(study)
    attempt = _claim_next(study)
    services.cancel_trial(attempt.trial)  # cancel a running one
    assert_kept(study)
    services.retry_trial(study.trials.get(pk=queued.pk))  # retry: cancelled -> queued
    assert_kept(study)
    attempt = _claim_next(study)
    services.finish_attempt(attempt.pk, Outcome("failed", reason="a"))
    attempt = services.claim_trial(attempt.trial_id, WORKER)
    services.finish_attempt(attempt.pk, Outcome("failed", reason="b"))  # out of retries: failed
    assert_kept(study)
    services.retry_trial(study.trials.get(pk=attempt.trial_id))  # retry: failed -> queued
    assert_kept(study)
    attempt = _claim_next(study)
    assert services.reap_stale_attempts(grace_s=-1) >= 1  # reap: a silent worker's attempt fails
    assert_kept(study)
    attempt = _claim_next(study)
    services.finish_and_continue(attempt.pk, Outcome("complete", value=2.0), WORKER)  # finish and claim
    assert_kept(study)
    add_trial(cast["editor"], study, {"x1": 1.0, "x2": 2.0})  # hand-picked
    assert_kept(study)
    add_trial(cast["editor"], study, {"x1": 2.0, "x2": 3.0}, Result("complete", value=0.5))  # recorded
    assert_kept(study)
    assert _summary(study).best_value == 0.5
    services.cancel_study(study)  # cancels everything queued or running
    assert_kept(study)


def test_a_study_stopped_after_failures_in_a_row_keeps_its_counts(make_study):
    study = make_study(max_trials=10, max_parallel=3, max_retries=0, max_consecutive_failures=2)
    services.start_study(study)
    services.schedule_trials(study.pk)
    for _ in range(2):
        attempt = _claim_next(study)
        services.finish_attempt(attempt.pk, Outcome("failed", reason="boom"))
        assert_kept(study)
    study.refresh_from_db()
    assert study.state == "failed" and _summary(study).n_cancelled >= 1


def test_import_and_warm_start_count_what_they_copied(make_study, cast):
    source = make_study(max_trials=6, max_parallel=3)
    services.start_study(source)
    services.schedule_trials(source.pk)
    for value in (4.0, 2.0):
        attempt = _claim_next(source)
        services.finish_attempt(attempt.pk, Outcome("complete", value=value))
    document = read_document("".join(json_chunks(source)))
    imported = import_study(cast["owner"], Project.objects.get(name="Vision"), document, name="copy")
    assert_kept(imported)
    assert _summary(imported).n_trials == source.trials.count()
    warm = warm_start(cast["owner"], source, {"name": "warm", "max_trials": 3})
    assert_kept(warm)
    assert (_summary(warm).n_complete, _summary(warm).best_value) == (2, 2.0)


def test_the_best_of_a_constrained_study_is_its_best_feasible_trial(make_study, cast):
    objectives = [{"metric": "loss", "direction": "maximize"}]
    constraints = [{"metric": "size", "max": 1.0}]
    study = make_study(
        metric="loss", direction="maximize", objectives=objectives, constraints=constraints, max_parallel=3
    )
    services.start_study(study)
    services.schedule_trials(study.pk)
    for loss, size in ((5.0, 2.0), (3.0, 0.5), (3.0, 0.1)):
        attempt = _claim_next(study)
        services.finish_attempt(attempt.pk, Outcome("complete", values={"loss": loss, "size": size}))
        assert_kept(study)
    summary = StudySummary.objects.select_related("best_trial").get(study=study)
    assert (summary.best_value, summary.best_trial.feasible) == (3.0, True)
    assert summary.best_trial.number == min(study.trials.filter(value=3.0).values_list("number", flat=True))


def test_the_best_path_is_the_best_so_far_by_number_whatever_order_trials_finish_in(make_study):
    study = make_study(max_trials=8, max_parallel=8)
    services.start_study(study)
    services.schedule_trials(study.pk)
    attempts = {a.trial.number: a for a in (_claim_next(study) for _ in range(8))}
    values = {1: 5.0, 2: 7.0, 3: 4.0, 4: 4.0, 5: 6.0, 6: 1.0, 7: 3.0, 8: 0.5}
    for number in (8, 3, 6, 1, 4, 2, 7, 5):
        services.finish_attempt(attempts[number].pk, Outcome("complete", value=values[number]))
        assert_kept(study)
    assert _summary(study).best_path == [[1, 5.0], [3, 4.0], [6, 1.0], [8, 0.5]]


def test_a_trial_deleted_in_the_admin_leaves_the_counts_right(client, cast, make_study):
    study = make_study(max_trials=4, max_parallel=2)
    services.start_study(study)
    services.schedule_trials(study.pk)
    attempt = _claim_next(study)
    services.finish_attempt(attempt.pk, Outcome("complete", value=1.0))
    best = study.trials.get(state="complete")
    client.force_login(cast["staff"])
    response = client.post(reverse("admin:studies_trial_delete", args=[best.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert_kept(study)
    assert StudySummary.objects.get(study=study).best_trial is None


def _grown(study, n: int) -> None:
    """`n` more complete trials in bulk, counted as the demo and imports count them."""
    start = study.trials.count()
    Trial.objects.bulk_create(
        Trial(study=study, number=start + i, params={"x1": 0.0, "x2": float(i)}, state="complete", value=i)
        for i in range(1, n + 1)
    )
    StudySummary.recount(study)


@pytest.mark.parametrize(
    ("url", "trial_reads"),
    [
        (lambda study: reverse("study-list"), 0),
        (lambda study: reverse("study-list-rows"), 0),
        (lambda study: reverse("project-detail", args=[study.project_id]), 0),
        (lambda study: "/api/studies/", 0),
        (lambda study: f"/api/studies/{study.pk}/", 0),
        (lambda study: reverse("study-live", args=[study.pk]), 1),  # the leaderboard's page, not the header
    ],
    ids=["study-list", "study-rows", "project", "api-list", "api-detail", "study-live"],
)
def test_the_pages_and_api_that_summarise_studies_read_the_same_queries_at_any_size(
    client, cast, make_study, url, trial_reads
):
    studies = [make_study(name=f"s{i}") for i in range(3)]
    client.force_login(cast["editor"])

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(studies[0])).status_code == 200
        return [q["sql"] for q in captured]

    _grown(studies[0], 5)
    small = queries()
    for study in studies:
        _grown(study, 200)
    large = queries()
    assert len(large) == len(small)
    # trials only joined, as the best
    assert len([sql for sql in large if 'FROM "studies_trial"' in sql]) == trial_reads
