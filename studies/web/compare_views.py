"""The compare page: studies the user can see, side by side."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studies import access
from studies.plots import compare

MAX_COMPARED = 8


class CompareQuery(forms.Form):
    studies = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    x = forms.ChoiceField(required=False, choices=[("number", "by trial"), ("time", "by time")])
    log = forms.BooleanField(required=False)

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
    """Pick studies; with some picked, their best-so-far curves, summary and shared importances."""
    query = CompareQuery(request.GET or None, user=request.user)
    context = {"query": query}
    if query.is_valid() and query.cleaned_data["studies"]:
        options = query.cleaned_data
        data = compare.compare_data(list(options["studies"].select_related("space")))
        context.update(
            curves=compare.best_curves_figure(data, options["x"] or "number", options["log"]),
            rows=compare.summary_rows(data),
            importance=compare.importance_figure(data),
            shared=compare.shared_parameters(data),
        )
    return render(request, "studies/compare.html", context)
