"""Editing the Markdown notes of a study and of a trial (editors), shown on their pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from studies import access, notes


def _edit(request, target, back):
    form = notes.NoteForm(request.POST or None, initial={"note": target.note})
    if request.method == "POST" and form.is_valid():
        notes.save_note(request.user, target, form.cleaned_data["note"])
        messages.success(request, "Note saved.")
        return redirect(back)
    return render(request, "notes/note_form.html", {"form": form, "target": target, "back": back})


@login_required
def study_note(request, study_id):
    study = access.study_for_user(request.user, study_id, edit=True)
    return _edit(request, study, study)


@login_required
def trial_note(request, study_id, number):
    trial = access.trial_for_user(request.user, study_id, number, edit=True)
    return _edit(request, trial, trial)
