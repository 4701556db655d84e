"""Marking the trial a team picked as the study's chosen one (editors), with a note; audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from studies import access, services
from studies.services.controls import MAX_CHOICE_NOTE


class ChoiceForm(forms.Form):
    """An empty `trial` clears the choice."""

    trial = forms.IntegerField(required=False, min_value=0)
    note = forms.CharField(required=False, max_length=MAX_CHOICE_NOTE, strip=True)


@login_required
@require_POST
def study_chosen(request, study_id):
    study = access.study_for_user(request.user, study_id, edit=True)
    form = ChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(study)
    number = form.cleaned_data["trial"]
    trial = None if number is None else access.trial_for_user(request.user, study_id, number, edit=True)
    try:
        services.choose_trial(request.user, study, trial, form.cleaned_data["note"])
    except services.ChoiceError as error:
        messages.error(request, str(error).capitalize() + ".")
        return redirect(trial or study)
    messages.success(request, f"Trial {number} is the chosen trial." if trial else "The choice is cleared.")
    return redirect(study)
