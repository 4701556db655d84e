"""The "Enqueue a trial" page: a hand-picked point, prefilled from any trial ("this again, lr halved"),
and below it the import of runs that finished elsewhere (a CSV file)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize

from studies import access
from studies.added_trials import TrialRefused, add_trial
from studies.run_imports import MAX_CSV, ImportRefused, import_runs
from studies.web.added_trial_forms import EnqueueTrialForm, RunImportForm


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
    return _page(request, study, form, RunImportForm(), source)


@login_required
def trial_import(request, study_id):
    study = access.study_for_user(request.user, study_id, edit=True)
    form = RunImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imported = import_runs(request.user, study, form.cleaned_data["file"].read(MAX_CSV + 1))
        except ImportRefused as refused:
            form.add_error("file", [m for texts in refused.errors.values() for m in texts])
        else:
            added, there = len(imported.added), imported.already_there
            runs = "1 run as a trial" if added == 1 else f"{added} runs as trials"
            messages.success(
                request,
                f"Imported {runs} ({there} {pluralize(there, 'was,were')} already there, "
                f"{imported.skipped} skipped: not finished).",
            )
            return redirect(study)
    return _page(request, study, EnqueueTrialForm(space=study.space.spec()), form, None)


def _page(request, study, form, import_form, source):
    context = {"study": study, "form": form, "import_form": import_form, "source": source}
    return render(request, "trials/enqueue.html", context)


def _source_trial(request, study):
    """The trial named by `?from=<number>` whose parameters fill the form; None without (or a bad) one."""
    number = request.GET.get("from", "")
    if not number.isdigit():
        return None
    return study.trials.filter(number=int(number)).first()
