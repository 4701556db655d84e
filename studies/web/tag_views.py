"""Editing a study's tags (editors); the tags show on the study page and the study list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from studies import access, tags


@login_required
def study_tags(request, study_id):
    """GET shows the form with the current tags; POST replaces them, or shows the error at the field."""
    study = access.study_for_user(request.user, study_id, edit=True)
    current = ", ".join(study.tags.values_list("name", flat=True))
    form = tags.TagForm(request.POST or None, initial={"tags": current})
    if request.method == "POST":
        if form.is_valid():
            tags.set_tags(request.user, study, form.cleaned_data["tags"])
            messages.success(request, "Tags saved.")
            return redirect(study)
        return render(request, "studies/tag_form.html", {"form": form, "study": study}, status=400)
    return render(request, "studies/tag_form.html", {"form": form, "study": study})
