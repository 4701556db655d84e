"""The "New study from a file" form: a YAML or JSON definition, the project, a name to replace the file's."""

from __future__ import annotations

from django import forms

from studies.definition import LIMITS, DefinitionError
from studies.definition_files import MAX_FILE, read_definition


class DefinitionFileForm(forms.Form):
    file = forms.FileField(help_text="A study definition in YAML or JSON (what “Download definition” gives).")
    project = forms.ModelChoiceField(queryset=None, required=False, help_text="Default: the file's project.")
    name = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": LIMITS["name"].high}),
        help_text="Default: the file's name.",
    )
    start = forms.BooleanField(required=False, help_text="Start the study at once.")

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects

    def clean_file(self) -> dict:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE:
            raise forms.ValidationError(f"The file is larger than {MAX_FILE // 1024} KiB.")
        try:
            self.document = read_definition(upload.read())
        except DefinitionError as error:
            raise forms.ValidationError(error.errors["file"]) from None
        return upload

    def definition(self) -> dict:
        """The file's definition with the project and name the form replaced."""
        definition = dict(self.document)
        if self.cleaned_data["project"] is not None:
            definition["project"] = self.cleaned_data["project"]
        if self.cleaned_data["name"]:
            definition["name"] = self.cleaned_data["name"]
        return definition
