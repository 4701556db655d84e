"""Forms for moving studies between instances and studies: import an export, warm-start a new study."""

from __future__ import annotations

from django import forms

from studies.definition import LIMITS, DefinitionError
from studies.imports import MAX_UPLOAD
from studies.models import Study
from studies.optimizers import OPTIMIZERS


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A study exported as JSON by hpoweb.")
    project = forms.ModelChoiceField(queryset=None, empty_label=None)  # the first project, as New study
    name = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": LIMITS["name"].high}),
        help_text="Default: the exported study's name.",
    )

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD // 2**20} MiB.")
        return upload


class WarmStartForm(forms.Form):
    """What a warm start changes of the source's definition; `studies.definition` checks the result."""

    name = forms.CharField(widget=forms.TextInput(attrs={"maxlength": LIMITS["name"].high}))
    project = forms.ModelChoiceField(queryset=None)
    max_trials = forms.IntegerField(
        label="New trials", widget=forms.NumberInput(attrs={"min": 1, "max": LIMITS["max_trials"].high})
    )
    optimizer = forms.ChoiceField(
        choices=[(name, name) for name in OPTIMIZERS],
        required=False,
        help_text="Default: the source's. Another optimizer starts with its default settings.",
    )
    start = forms.BooleanField(required=False, initial=True, label="Start at once")
    space = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional: a compatible space as JSON; trials that do not fit it are left out.",
    )

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects

    def overrides(self, source: Study) -> dict:
        """The fields given; another optimizer than the source's starts from its own defaults."""
        data = {key: value for key, value in self.cleaned_data.items() if key != "start" and value}
        if data.get("optimizer", source.optimizer) != source.optimizer:
            data["optimizer_settings"] = {}
        return data

    def show(self, error: DefinitionError) -> None:
        """Each problem on the field its path starts with, or above the form with its path."""
        for path, messages in error.errors.items():
            head = path.partition(".")[0]
            if head in self.fields:
                self.add_error(head, [f"{path}: {m}" if path != head else m for m in messages])
            else:
                self.add_error(None, [f"{path}: {m}" for m in messages])
