"""The "Enqueue a trial" form: one field per parameter of the study's space, each checked against it."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from studies.optimizers.space import Parameter, SearchSpace
from studies.run_imports import MAX_CSV, FileTooLarge


def _field(parameter: Parameter, initial: Any) -> forms.Field:
    if parameter.is_categorical:
        # Choices travel as JSON so 1, "1" and true stay different values.
        choices = [(json.dumps(c), str(c)) for c in parameter.choices]
        return forms.TypedChoiceField(
            choices=choices, coerce=json.loads, initial=None if initial is None else json.dumps(initial)
        )
    bounds = f"{parameter.low} to {parameter.high}" + (", log scale" if parameter.log else "")
    step = f", step {parameter.step}" if parameter.step is not None else ""
    kind = forms.IntegerField if parameter.type == "int" else forms.FloatField
    return kind(initial=initial, help_text=bounds + step)


class EnqueueTrialForm(forms.Form):
    def __init__(self, *args, space: SearchSpace, start: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.space = space
        for parameter in space.parameters:
            self.fields[parameter.name] = _field(parameter, (start or {}).get(parameter.name))

    def clean(self) -> dict:
        data = super().clean()
        for parameter in self.space.parameters:
            if parameter.name in data:
                try:
                    parameter.validate_value(data[parameter.name])
                except ValueError as error:
                    self.add_error(parameter.name, str(error))
        return data

    def params(self) -> dict:
        return {p.name: self.cleaned_data[p.name] for p in self.space.parameters}


class RunImportForm(forms.Form):
    """A CSV of runs that finished elsewhere (`studies.run_imports` reads it)."""

    file = forms.FileField(
        label="CSV of finished runs",
        help_text="W&B's runs table (Export as CSV) or a spreadsheet: one column per parameter and metric.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV:
            raise forms.ValidationError(FileTooLarge().errors["file"][0])
        return upload
