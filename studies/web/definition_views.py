"""A study's definition as a file: "Download definition" and "New study from a file"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from studies import access, definition_files, services
from studies.definition import DefinitionError, check_definition
from studies.web.definition_forms import DefinitionFileForm


@login_required
def study_definition(request, study_id, kind):
    study = access.study_for_user(request.user, study_id)
    response = HttpResponse(
        definition_files.render(study, kind), content_type=definition_files.CONTENT_TYPES[kind]
    )
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}.{kind}"'
    return response


@login_required
def study_create_from_file(request):
    projects = access.editable_projects(request.user)
    form = DefinitionFileForm(request.POST or None, request.FILES or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        try:
            definition = check_definition(request.user, form.definition())
        except DefinitionError as error:
            form.add_error("file", [f"{path}: {m}" for path, ms in error.errors.items() for m in ms])
        else:
            start = form.cleaned_data["start"]
            study = services.create_study(
                request.user, definition.space, definition.study_fields(), start=start
            )
            messages.success(request, f"Created {study.name} from {form.cleaned_data['file'].name}.")
            return redirect(study)
    return render(request, "studies/study_from_file.html", {"form": form})
