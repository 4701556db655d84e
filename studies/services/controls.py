"""What a person does to a study or a trial: create, start, pause, resume, cancel, retry, delete.

Each control takes the acting user (`by`) and writes its own audit entry when it applied, so pages
and the API only pick the control (`control_study`, `control_trial`) and say who asked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from studies.models import AuditEvent, SpaceRecord, Study, StudySummary, Trial
from studies.services.lifecycle import cancel_trials
from studies.services.publishing import enqueue_analysis, enqueue_run, enqueue_schedule
from studies.services.scheduling import release_waiting

STUDY_FIELDS = ("name", "project", *Study.DEFINITION_FIELDS, *Study.OBJECTIVE_FIELDS)


def audit(user, action: str, study: Study | None = None, detail: str = "") -> None:
    AuditEvent.objects.create(
        user=user if getattr(user, "pk", None) else None, action=action, study=study, detail=detail
    )


def create_study(owner, space_spec: dict, fields: dict, *, start: bool = False) -> Study:
    """Store a validated study and its space; start it at once when asked."""
    values = {k: v for k, v in fields.items() if k in STUDY_FIELDS and v is not None}
    with transaction.atomic():
        study = Study.objects.create(owner=owner, space=SpaceRecord.create_from_dict(space_spec), **values)
        StudySummary.objects.create(study=study)
        audit(owner, "create", study)
        if start:
            start_study(study)
    return study


def start_study(study: Study, by=None, action: str = "start") -> bool:
    """Start a draft or paused study (resume); queued trials are published again.

    `by`: the acting user, audited as `action`; None for the system's own starts (not audited).
    """
    with transaction.atomic():
        if not study.set_state(Study.State.RUNNING, only_from=(Study.State.DRAFT, Study.State.PAUSED)):
            return False
        waiting_or_queued = study.trials.filter(state=Trial.State.QUEUED)
        queued = list(waiting_or_queued.filter(enqueued__isnull=False).values_list("pk", flat=True))
        Trial.objects.filter(pk__in=queued).update(enqueued=timezone.now())
        enqueue_run(queued, study.queue)
        enqueue_schedule(study)
        _audit_control(by, action, study)
    return True


def resume_study(study: Study, by=None) -> bool:
    return start_study(study, by, action="resume")


def pause_study(study: Study, by=None) -> bool:
    """No new trials start; running ones finish."""
    with transaction.atomic():
        if not study.set_state(Study.State.PAUSED, "paused by a user", only_from=(Study.State.RUNNING,)):
            return False
        enqueue_analysis(study)  # the results nobody watched while it ran: its readers never ask
        _audit_control(by, "pause", study)
    return True


def cancel_study(study: Study, by=None, reason: str = "cancelled by a user") -> bool:
    """Stop everything: queued trials are cancelled, running jobs are stopped at their next heartbeat."""
    with transaction.atomic():
        unfinished = (Study.State.DRAFT, Study.State.RUNNING, Study.State.PAUSED)
        if not study.set_state(Study.State.CANCELLED, reason, only_from=unfinished):
            return False
        cancel_trials(study.pk, study.trials.queued_or_running(), reason)
        enqueue_analysis(study)  # as a pause: the running trials' results never come
        _audit_control(by, "cancel", study)
    return True


def delete_study(user, study: Study) -> None:
    """Delete a study with its trials; the audit event keeps its name, since the row goes."""
    with transaction.atomic():
        cancel_study(study, reason="study deleted")
        audit(user, "delete", study, f"study {study.name!r} (id {study.pk}, project {study.project.name})")
        space = study.space
        study.delete()
        space.delete()


def cancel_trial(trial: Trial, by=None, reason: str = "cancelled by a user") -> bool:
    with transaction.atomic():
        trials = Trial.objects.filter(pk=trial.pk).queued_or_running()
        if not trials.exists():
            return False
        cancel_trials(trial.study_id, trials, reason)
        enqueue_schedule(trial.study)
        _audit_control(by, "trial-cancel", trial.study, f"trial {trial.number}")
    return True


def retry_trial(trial: Trial, by=None) -> bool:
    """Run a finished (failed, cancelled, pruned) trial again with the same params, as a new attempt.

    A completed or failed study is reopened for it (a completed one has spent its budget, so only
    this trial runs; a failed one goes on like a resumed study); a cancelled study refuses.
    """
    with transaction.atomic():
        study = Study.objects.select_for_update(no_key=True).get(pk=trial.study_id)
        if study.state == Study.State.CANCELLED:
            return False
        # It waits (not claimable, `enqueued` empty) until `max_parallel` has room for it.
        retried = Trial.objects.select_for_update(no_key=True).filter(
            pk=trial.pk, state__in=[Trial.State.FAILED, Trial.State.CANCELLED, Trial.State.PRUNED]
        )
        was = retried.values_list("state", flat=True).first()
        won = retried.update(state=Trial.State.QUEUED, value=None, error="", finished=None, enqueued=None)
        if won:
            StudySummary.moved(study.pk, was, Trial.State.QUEUED)
            if study.state in (Study.State.COMPLETED, Study.State.FAILED):
                study.set_state(Study.State.RUNNING, f"reopened to retry trial {trial.number}")
            if study.state == Study.State.RUNNING:
                release_waiting(study)
            _audit_control(by, "trial-retry", study, f"trial {trial.number}")
    return bool(won)


def _audit_control(by, action: str, study: Study, detail: str = "") -> None:
    if by is not None:
        audit(by, action, study, detail)


MAX_CHOICE_NOTE = 2000


class ChoiceError(ValueError):
    """A trial that cannot be the study's chosen one (not complete, breaking a constraint)."""


def choose_trial(by, study: Study, trial: Trial | None, note: str = "") -> None:
    """Mark `trial` as the study's chosen trial with a note (None clears the choice), audited."""
    if trial is not None and trial.state != Trial.State.COMPLETE:
        raise ChoiceError(f"trial {trial.number} is {trial.state}; only a complete trial can be chosen")
    if trial is not None and trial.feasible is False:
        raise ChoiceError(f"trial {trial.number} breaks the study's constraints")
    if len(note) > MAX_CHOICE_NOTE:
        raise ChoiceError(f"the note is longer than {MAX_CHOICE_NOTE} characters")
    chosen = {
        "chosen_trial": trial,
        "chosen_note": note if trial else "",
        "chosen_by": by if trial else None,
        "chosen_at": timezone.now() if trial else None,
    }
    with transaction.atomic():
        Study.objects.filter(pk=study.pk).update(**chosen)  # these columns only: no state overwritten
        for field, value in chosen.items():
            setattr(study, field, value)
        audit(by, "choose", study, f"trial {trial.number}: {note}"[:500] if trial else "cleared")


STUDY_CONTROLS = {"start": start_study, "resume": resume_study, "pause": pause_study, "cancel": cancel_study}
TRIAL_CONTROLS = {"cancel": cancel_trial, "retry": retry_trial}


def control_study(action: str, study: Study, by) -> bool:
    """Apply one of STUDY_CONTROLS for `by`; False when the study's state does not allow it."""
    return STUDY_CONTROLS[action](study, by)


def control_trial(action: str, trial: Trial, by) -> bool:
    """Apply one of TRIAL_CONTROLS for `by`; False when the trial's state does not allow it."""
    return TRIAL_CONTROLS[action](trial, by)
