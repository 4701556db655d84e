"""Forms for moving studies between instances and studies: import an export, warm-start a new study."""

from __future__ import annotations

from django import forms

from studies.imports import MAX_UPLOAD
from studies.models import Study
from studies.optimizers import OPTIMIZERS, SearchSpace


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A study exported as JSON by hpoweb.")
    project = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(required=False, max_length=120, help_text="Default: the exported study's name.")

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD // 2**20} MiB.")
        return upload


class WarmStartForm(forms.Form):
    name = forms.CharField(max_length=120)
    project = forms.ModelChoiceField(queryset=None)
    max_trials = forms.IntegerField(min_value=1, max_value=1_000_000, label="New trials")
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

    def clean_space(self) -> dict | None:
        spec = self.cleaned_data.get("space")
        if not spec:
            return None
        try:
            return SearchSpace.from_dict(spec).to_dict()
        except (ValueError, TypeError, AttributeError) as error:
            raise forms.ValidationError(str(error)) from None

    def clean_name(self):
        name = self.cleaned_data["name"]
        if Study.objects.filter(name=name).exists():
            raise forms.ValidationError("A study with this name already exists.")
        return name
