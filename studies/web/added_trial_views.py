"""The "Enqueue a trial" page: a hand-picked point, prefilled from any trial ("this again, lr halved")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from studies import access
from studies.added_trials import TrialRefused, add_trial
from studies.web.added_trial_forms import EnqueueTrialForm


@login_required
def trial_enqueue(request, study_id):
    study = access.study_for_user(request.user, study_id, edit=True)
    source = _source_trial(request, study)
    form = EnqueueTrialForm(
        request.POST or None, space=study.space.spec(), start=source.params if source else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            trial, _new = add_trial(request.user, study, form.params())
        except TrialRefused as refused:
            form.add_error(None, [m for texts in refused.errors.values() for m in texts])
        else:
            messages.success(request, f"Trial {trial.number} queued with the parameters you picked.")
            return redirect(trial)
    return render(request, "trials/enqueue.html", {"study": study, "form": form, "source": source})


def _source_trial(request, study):
    """The trial named by `?from=<number>` whose parameters fill the form; None without (or a bad) one."""
    number = request.GET.get("from", "")
    if not number.isdigit():
        return None
    return study.trials.filter(number=int(number)).first()
