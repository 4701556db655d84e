"""Scheduling: the optimizer proposes outside the study's lock; its trials are stored under it.

A suggestion can take seconds (gp, tpe, a large history). Asked under the study's row lock, it would
hold up every result of the study meanwhile (storing one locks the study), so a step reads its inputs
and asks the optimizer without the lock, then under the lock stores what it proposed if no trial was
created in between: `StudySummary.n_trials`, read before the inputs, is the trial set's version.

A result stored in between does not matter: the proposal only saw a history one result older, as an
asynchronous optimizer always does, and the free slots and the budget are counted again under the
lock. A trial created in between does: its point was not pending for the optimizer, which may have
proposed it again (two schedulers with the same inputs and seed propose the same points). Then the
step proposes once more, and after that under the lock, which cannot be overtaken.

One scheduler per study at a time. With many workers, results arrive faster than a model suggests:
each finishing worker proposing for itself made every proposal but one stale (a trial was created
meanwhile), so each was made two or three times, the last under the lock, and a study of 16 gp
workers spent more time proposing than running trials. So a step takes the study's lease first
(`StudySummary.scheduler_until`, good for one grace period: a scheduler that died holding it is
judged like a silent worker), and whoever finds it taken only asks for another step
(`schedule_again`) and goes back to its queue. The scheduler at work sends a step for the study when
it releases the lease and finds the request, so no freed slot waits for a later result; and that
step fills every slot freed meanwhile with one model fit (the optimizers propose a batch). A
finishing worker first waits for a step that, by the last one's duration, ends within `FOLLOW_S`:
with trials of milliseconds nearly every finish meets a step at work, and leaving it a request cost
each trial an extra step and two messages (`_patience`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from studies.models import Attempt, SpaceRecord, Study, StudySummary, Trial
from studies.optimizers import Optimizer, SearchExhausted, SearchSpace, get_optimizer
from studies.services.history import last_trial_number, scheduling_inputs
from studies.services.lifecycle import (
    Outcome,
    WorkerIdentity,
    claim_update,
    db_now,
    finish_locked,
    start_attempt,
)
from studies.services.publishing import enqueue_analysis, enqueue_run, enqueue_schedule

log = logging.getLogger(__name__)

UNLOCKED_TRIES = 2


@dataclass(frozen=True)
class Proposal:
    """What the optimizer proposed for a study whose trial set was at `version` (its `n_trials`)."""

    version: int
    suggestions: list[tuple[dict, dict]]  # (params, why) per new trial
    exhausted: str = ""  # the optimizer's SearchExhausted message: nothing left to propose


def optimizer_inputs(study: Study) -> tuple[list[tuple[dict, float | None]], list[dict]]:
    """History and pending points as the optimizer takes them, bounded (see `services.history`).

    Complete trials give their value, failed ones None (the optimizer treats them as bad); pruned
    trials give their last reported value, which is pessimistic for them at their rung.
    """
    inputs = scheduling_inputs(study, SpaceRecord.spec_of(study.space_id))
    return inputs.history, inputs.pending


def schedule_trials(study_id: int, *, keep: int = 0, wait: bool = False) -> list[int]:
    """Fill the study's free slots with new trials; complete it when its budget is spent.

    The first `keep` new trials are not published: the caller claims them at once (and if it dies
    first, the reconciler publishes them). While another step schedules the study, this one leaves
    it a request and returns nothing, or with `wait` waits its turn (a client asking for a trial).
    """
    return [trial.pk for trial in _schedule(study_id, keep, None, wait)[0]]


def finish_and_continue(attempt_id: int, outcome: Outcome, worker: WorkerIdentity | None) -> Attempt | None:
    """Record the end of an attempt, then fill its study's free slots; with `worker`, the first new
    trial is claimed for it in the transaction that stores it, and its attempt comes back.

    The result is committed before the optimizer is asked, so a slow suggestion never holds it up. A
    new trial that `worker` claims is never published: if the worker dies before it runs it, the
    reaper fails that attempt like any other whose worker went silent; if it dies before scheduling,
    the reconciler schedules the study.
    """
    with transaction.atomic():
        finished = finish_locked(attempt_id, outcome)
    if finished is None:
        return None
    study_id = finished[1].pk
    try:
        return _schedule(study_id, 1 if worker else 0, worker, False)[1]
    except DatabaseError:
        raise
    except Exception:  # an optimizer's bug must not stop the worker; the result is stored
        log.exception("study %s: scheduling failed; the reconciler will try again", study_id)
        return None


def _schedule(
    study_id: int, keep: int, worker: WorkerIdentity | None, wait: bool
) -> tuple[list[Trial], Attempt | None]:
    """One step under the study's scheduling lease, or a request for one (the module's docstring)."""
    lease = _take_lease(study_id) or _lease_after_waiting(study_id, _patience(study_id, worker, wait))
    if lease is None:
        return [], None
    started = time.monotonic()
    stored: tuple[list[Trial], Attempt | None] = ([], None)
    try:
        stored = _step(study_id, keep, worker)
        return stored
    finally:
        took = time.monotonic() - started if stored[0] else None
        if _release_lease(study_id, lease, took):
            study = Study.objects.filter(pk=study_id, state=Study.State.RUNNING).first()
            if study is not None:
                enqueue_schedule(study)


def _patience(study_id: int, worker: WorkerIdentity | None, wait: bool) -> float:
    """How long to wait for a lease another step holds.

    A client asking for a trial waits its turn. A finishing worker that would claim the next trial
    waits for a step as short as the last one was, if that is shorter than `FOLLOW_S`: leaving costs
    it its chain (a `schedule_study` task and a `run_trial` message for a trial of milliseconds),
    while a long step (a model fit) is better left a request, whose step fills every slot freed
    meanwhile with one fit.
    """
    if wait:
        return settings.HPOWEB["GRACE_S"]
    follow = settings.HPOWEB["FOLLOW_S"]
    if worker is None or follow <= 0:
        return 0.0
    last = StudySummary.objects.filter(study_id=study_id).values_list("step_s", flat=True).first()
    return follow if last is not None and last <= follow else 0.0


def _lease_after_waiting(study_id: int, patience: float) -> datetime | None:
    """The lease if it comes free within `patience` seconds; else a request for another step.

    The request is left before the last try: a holder that releases the lease after that try reads
    it, one that released before lets the try win, so no request is lost. Waiters leave no request
    while they wait, so a holder whose follower takes the lease sends no step that would find
    nothing to do.
    """
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        time.sleep(min(0.05, patience / 5))
        if (lease := _take_lease(study_id)) is not None:
            return lease
    StudySummary.objects.filter(study_id=study_id).update(schedule_again=True)
    return _take_lease(study_id)


def _take_lease(study_id: int) -> datetime | None:
    """The lease's end when this step took it, None when another step holds it."""
    now = db_now()
    until = now + timedelta(seconds=settings.HPOWEB["GRACE_S"])
    free = Q(scheduler_until__isnull=True) | Q(scheduler_until__lt=now)
    taken = StudySummary.objects.filter(free, study_id=study_id).update(
        scheduler_until=until, schedule_again=False
    )
    return until if taken else None


def _release_lease(study_id: int, until: datetime, took: float | None) -> bool:
    """Give the lease back (with how long a step that stored trials held it); whether another step
    was asked for while it was held."""
    rows = StudySummary.objects.filter(study_id=study_id)
    timed = {} if took is None else {"step_s": took}
    rows.filter(scheduler_until=until).update(scheduler_until=None, **timed)
    return bool(rows.values_list("schedule_again", flat=True).first())


def _step(study_id: int, keep: int, worker: WorkerIdentity | None) -> tuple[list[Trial], Attempt | None]:
    """Propose without the lock and store under it (see the module's docstring); with `worker`, the
    first stored trial is claimed for it. The new trials and that attempt."""
    for _ in range(UNLOCKED_TRIES):
        study = Study.objects.filter(pk=study_id).first()
        if study is None or study.state != Study.State.RUNNING:
            return [], None
        proposal = _propose(study)
        with transaction.atomic():
            study = _locked(study_id)
            if study is None:
                return [], None
            stored = _store(study, proposal, keep, worker)
            if stored is not None:
                return stored
    with transaction.atomic():
        study = _locked(study_id)
        if study is None or study.state != Study.State.RUNNING:
            return [], None
        return _store(study, _propose(study), keep, worker)


def _locked(study_id: int) -> Study | None:
    return Study.objects.select_for_update(no_key=True).filter(pk=study_id).first()


def _propose(study: Study) -> Proposal:
    """Read the inputs and ask the optimizer for as many trials as the summary shows free (`_store`
    counts them again under the lock); holds no lock."""
    counts = StudySummary.objects.filter(study_id=study.pk)
    version, queued, running = counts.values_list("n_trials", "n_queued", "n_running").get()
    free = min(study.max_parallel - queued - running, study.max_trials - version)
    if free <= 0:
        return Proposal(version, [])  # no slot: the history is not worth reading
    try:
        suggestions = _suggest(study, SpaceRecord.spec_of(study.space_id), free)
    except SearchExhausted as exhausted:
        return Proposal(version, [], exhausted=str(exhausted) or "nothing left to try")
    return Proposal(version, suggestions)


def _suggest(study: Study, space: SearchSpace, n: int) -> list[tuple[dict, dict]]:
    """n suggestions; an optimizer that does not read the history is told only how many trials the
    study made, and its step reads none (the bounded history was most of a fast trial's step)."""
    optimizer = _optimizer(study, space, study.seed)
    if not optimizer.reads_history:
        return optimizer.suggest_with_info(n=n, made=last_trial_number(study))
    inputs = scheduling_inputs(study, space)
    if inputs.seed(study.seed) != study.seed:  # a bounded history mixes its size into the seed
        optimizer = _optimizer(study, space, inputs.seed(study.seed))
    return optimizer.suggest_with_info(history=inputs.history, pending=inputs.pending, n=n)


def _optimizer(study: Study, space: SearchSpace, seed: int) -> Optimizer:
    return get_optimizer(
        study.optimizer,
        space,
        direction=study.direction,
        seed=seed,
        objectives=study.objectives,
        constraints=study.constraints,
        **study.optimizer_settings,
    )


def _store(
    study: Study, proposal: Proposal, keep: int, worker: WorkerIdentity | None
) -> tuple[list[Trial], Attempt | None] | None:
    """Under the study's lock: as many of the proposed trials as slots and budget allow now, or None
    when a trial was created since the proposal's inputs were read; completes a study with nothing
    left to run."""
    if study.state != Study.State.RUNNING:
        return [], None
    release_waiting(study)
    summary = StudySummary.objects.get(study_id=study.pk)
    if summary.n_trials != proposal.version:
        return None
    left = study.max_trials - summary.n_trials
    free = min(study.max_parallel - summary.n_active, left)
    if proposal.exhausted or left <= 0:
        if summary.n_active == 0:
            n = study.max_trials
            why = f"search space exhausted: {proposal.exhausted}" if proposal.exhausted else None
            study.set_state(Study.State.COMPLETED, why or f"all {n} trial{'s' if n != 1 else ''} finished")
            enqueue_analysis(study)  # the last results, which nobody may have watched
        return [], None
    trials = _create(study, proposal.suggestions[: max(free, 0)], keep)
    if worker is None:
        return trials, None
    return trials, _claim_first(trials[0] if trials else _published(study), worker)


def _create(study: Study, suggestions: list[tuple[dict, dict]], keep: int) -> list[Trial]:
    """The new trials, numbered after the last one; all but the first `keep` published."""
    if not suggestions:
        return []
    last_number = last_trial_number(study)
    now = timezone.now()
    trials = Trial.objects.bulk_create(
        Trial(study=study, number=last_number + i, params=params, suggestion=info, enqueued=now)
        for i, (params, info) in enumerate(suggestions, start=1)
    )
    StudySummary.moved(study.pk, None, Trial.State.QUEUED, len(trials))
    enqueue_run([t.pk for t in trials[keep:]], study.queue)
    return trials


def _published(study: Study) -> Trial | None:
    """The study's oldest trial waiting for a worker: a step that found the slots filled, by the step
    a finishing worker waited for, claims it rather than leave the worker to its message."""
    return study.trials.filter(state=Trial.State.QUEUED, enqueued__isnull=False).order_by("number").first()


def _claim_first(trial: Trial | None, worker: WorkerIdentity) -> Attempt | None:
    """Claim a trial for `worker`: one just created (no one else has seen it, so the claim wins), or
    a published one, whose message then finds it taken."""
    if trial is None:
        return None
    now = db_now()
    running = claim_update(trial.pk, worker, now)
    if running is None:
        return None
    for field, value in running.items():
        setattr(trial, field, value)
    trial.n_attempts += 1
    return start_attempt(trial, worker, now)


def release_waiting(study: Study) -> None:
    """Publish retried trials that wait for a slot, as many as `max_parallel` has room for.

    A trial waits (queued, `enqueued` empty, not claimable) when a person retried it while the study
    ran as many trials as it may; the caller holds the study's lock.
    """
    counts = StudySummary.objects.filter(study_id=study.pk).values("n_queued", "n_running").get()
    if counts["n_queued"] == 0:
        return
    waiting = study.trials.filter(state=Trial.State.QUEUED, enqueued__isnull=True)
    # queued or running but not waiting: what holds a slot (the summary's counts, moved under this lock)
    room = study.max_parallel - (counts["n_queued"] + counts["n_running"] - waiting.count())
    if room <= 0:
        return
    ids = list(waiting.order_by("number").values_list("pk", flat=True)[:room])
    if ids:
        Trial.objects.filter(pk__in=ids).update(enqueued=timezone.now())
        enqueue_run(ids, study.queue)
