"""The "Import an Optuna study" page: an uploaded Optuna SQLite or journal file becomes a study."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from studies import access, optuna_import
from studies.imports import MAX_UPLOAD, ImportFailed
from studies.web.transfer_forms import ImportForm


class OptunaImportForm(ImportForm):
    study = forms.CharField(required=False, max_length=512, help_text="Default: the file's only study.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = "An Optuna storage file: SQLite (optuna.db) or journal (a .log file)."
        self.fields["name"].help_text = "Default: the Optuna study's name."


@login_required
def study_import_optuna(request):
    projects = access.editable_projects(request.user)
    form = OptunaImportForm(request.POST or None, request.FILES or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            study = _import_upload(request.user, data)
        except ImportFailed as error:
            form.add_error("file", [f"{path}: {m}" for path, ms in error.errors.items() for m in ms])
        else:
            messages.success(
                request, f"Imported {study.name} with {study.trials.count()} trials from Optuna."
            )
            return redirect(study)
    return render(request, "transfer/import_optuna.html", {"form": form, "max_mib": MAX_UPLOAD // 2**20})


def _import_upload(user, data: dict):
    """The upload is written to a private folder that goes away with it: Optuna reads files, not streams."""
    with tempfile.TemporaryDirectory(prefix="hpoweb-optuna-") as folder:
        path = Path(folder) / "storage"
        with path.open("wb") as f:
            for chunk in data["file"].chunks():
                f.write(chunk)
        return optuna_import.import_optuna(user, data["project"], str(path), data["study"], data["name"])
