"""The compare page: studies the user can see, side by side."""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studies import access, study_diff
from studies.plots import compare
from studies.trial_filter import MAX_INTEGER

MAX_COMPARED = 8


class _StudiesField(forms.ModelMultipleChoiceField):
    """Django's, with an id no database integer holds refused as any unknown id is (Django puts it in
    the query, and the driver raises OverflowError)."""

    def clean(self, value):
        for pk in value or []:
            with contextlib.suppress(TypeError, ValueError):  # not a number: Django's own message
                if abs(int(pk)) > MAX_INTEGER:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super().clean(value)


class CompareQuery(forms.Form):
    studies = _StudiesField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    x = forms.ChoiceField(required=False, choices=[("number", "by trial"), ("time", "by time")])
    log = forms.BooleanField(required=False)
    target = forms.FloatField(required=False, help_text="A value to reach: trials and time each study took.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["studies"].queryset = access.visible_studies(user).order_by("name")

    def clean_studies(self):
        chosen = self.cleaned_data["studies"]
        if len(chosen) > MAX_COMPARED:
            raise forms.ValidationError(f"Compare at most {MAX_COMPARED} studies at once.")
        return chosen


@login_required
def study_compare(request):
    """Pick studies; with some picked, their definitions side by side, best-so-far curves, EDF,
    summary, time to a typed target and shared importances."""
    query = CompareQuery(request.GET or None, user=request.user)
    context = {"query": query}
    if query.is_valid() and query.cleaned_data["studies"]:
        options = query.cleaned_data
        studies = list(options["studies"].select_related("space").prefetch_related("space__parameters"))
        data = compare.compare_data(studies)
        target = options["target"]
        context.update(
            studies=studies,
            definition=study_diff.definition_rows(studies),
            edf=compare.edf_figure(data),
            reach=compare.time_to_target(data, target) if target is not None else None,
            repeats=compare.repeat_rows(
                data, [[s.pk for s in group] for group in study_diff.repeat_groups(studies)]
            ),
            curves=compare.best_curves_figure(data, options["x"] or "number", options["log"]),
            rows=compare.summary_rows(data),
            importance=compare.importance_figure(data),
            hypervolume=compare.hypervolume_figure(studies, data),
            shared=compare.shared_parameters(data),
        )
    return render(request, "studies/compare.html", context)
