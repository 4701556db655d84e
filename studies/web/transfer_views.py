"""Pages that move trials between studies: import an exported study, warm-start from a study."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from studies import access, imports
from studies.definition import DefinitionError
from studies.web.transfer_forms import ImportForm, WarmStartForm


@login_required
def study_import(request):
    projects = access.editable_projects(request.user)
    choices = list(projects[:2])
    initial = {"project": choices[0]} if len(choices) == 1 else {}  # the only choice is the answer
    form = ImportForm(request.POST or None, request.FILES or None, projects=projects, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            document = imports.read_document(form.cleaned_data["file"].read())
            study = imports.import_study(
                request.user, form.cleaned_data["project"], document, form.cleaned_data["name"]
            )
        except imports.ImportFailed as error:
            form.add_error("file", [f"{path}: {m}" for path, ms in error.errors.items() for m in ms])
        else:
            messages.success(request, f"Imported {study.name} with {study.trials.count()} trials.")
            return redirect(study)
    return render(request, "transfer/import.html", {"form": form})


@login_required
def study_warm_start(request, study_id):
    source = access.study_for_user(request.user, study_id)
    projects = access.editable_projects(request.user)
    initial = {
        "name": f"{source.name} (warm)",
        "max_trials": source.max_trials,
        "project": source.project_id,
        "optimizer": source.optimizer,
        "space": source.space.to_dict(),
    }
    form = WarmStartForm(request.POST or None, projects=projects, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            study = imports.warm_start(
                request.user, source, form.overrides(source), start=form.cleaned_data["start"]
            )
        except DefinitionError as error:
            form.show(error)
        else:
            messages.success(
                request, f"{study.name} starts from {study.trials.count()} trials of {source.name}."
            )
            return redirect(study)
    return render(
        request,
        "transfer/warm_start.html",
        {"form": form, "source": source, "source_space": json.dumps(source.space.to_dict())},
    )
