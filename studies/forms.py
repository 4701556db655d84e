"""Forms for creating a study in the browser: the study, its optimizer settings and the space editor."""

from __future__ import annotations

import json
import re

from django import forms

from studies.job_catalog import job_choices, validate_job_settings
from studies.models import Study
from studies.optimizers import OPTIMIZERS, SearchSpace, get_optimizer
from studies.optimizers.pruners import PRUNERS, get_pruner
from studies.optimizers.settings import Setting, SettingError

_SETTING_FIELDS = {"int": forms.IntegerField, "float": forms.FloatField}


def _setting_field(setting: Setting) -> forms.Field:
    common = {"required": False, "initial": setting.default, "help_text": setting.help}
    if setting.type == "bool":
        return forms.BooleanField(**common)
    if setting.type == "choice":
        return forms.ChoiceField(choices=[(c, c) for c in setting.choices], **common)
    return _SETTING_FIELDS[setting.type](min_value=setting.min, max_value=setting.max, **common)


def setting_field_name(group: str, owner: str, setting: str) -> str:
    return f"{group}__{owner}__{setting}"


class StudyForm(forms.ModelForm):
    """The study's own fields plus one field per optimizer and pruner setting (shown for the chosen one)."""

    job_settings = forms.JSONField(
        required=False, initial=dict, help_text='JSON object, e.g. {"epochs": 10}.'
    )
    start = forms.BooleanField(required=False, initial=True, label="Start at once")

    class Meta:
        model = Study
        fields = [
            "name",
            "description",
            "project",
            "job",
            "job_settings",
            "direction",
            "metric",
            "optimizer",
            "seed",
            "pruner",
            "max_trials",
            "max_parallel",
            "max_retries",
            "max_consecutive_failures",
            "trial_timeout_s",
            "queue",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["job"] = forms.ChoiceField(choices=job_choices())
        self.fields["optimizer"] = forms.ChoiceField(choices=[(n, n) for n in OPTIMIZERS], initial="random")
        self.fields["pruner"] = forms.ChoiceField(choices=[(n, n) for n in PRUNERS], initial="none")
        self.fields["queue"] = forms.RegexField(
            r"^[A-Za-z0-9_.-]{1,64}$",
            required=False,
            initial="hpoweb",
            help_text="Only workers started with `-Q <queue>` run its trials (e.g. gpu).",
        )
        self.fields["max_trials"].min_value = 1
        self.fields["max_parallel"].min_value = 1
        for group, table in (("opt", OPTIMIZERS), ("pruner", PRUNERS)):
            for owner, schema in table.items():
                for setting in schema:
                    self.fields[setting_field_name(group, owner, setting.name)] = _setting_field(setting)

    def setting_groups(self) -> list[tuple[str, str, list]]:
        """(group, owner, bound fields) for the template to show beside the chosen optimizer/pruner."""
        groups = []
        for group, table in (("opt", OPTIMIZERS), ("pruner", PRUNERS)):
            for owner, schema in table.items():
                groups.append(
                    (group, owner, [self[setting_field_name(group, owner, s.name)] for s in schema])
                )
        return groups

    def _collect(self, group: str, owner: str, table: dict) -> dict:
        values = {}
        for setting in table.get(owner, ()):
            value = self.cleaned_data.get(setting_field_name(group, owner, setting.name))
            if value is not None and value != "":
                values[setting.name] = value
        return values

    def _error_on_setting(self, group: str, owner: str, error: ValueError) -> None:
        """The error on the setting's own field when it names one, else on the optimizer/pruner choice."""
        table = OPTIMIZERS if group == "opt" else PRUNERS
        names = {setting.name for setting in table.get(owner, ())}
        if isinstance(error, SettingError) and error.setting in names:
            self.add_error(setting_field_name(group, owner, error.setting), str(error))
        else:
            self.add_error("optimizer" if group == "opt" else "pruner", str(error))

    def clean_queue(self) -> str:
        return self.cleaned_data.get("queue") or "hpoweb"

    def clean_job_settings(self):
        value = self.cleaned_data.get("job_settings") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError("Job settings must be a JSON object.")
        return value

    def clean(self):
        data = super().clean()
        job = data.get("job")
        if job:
            try:
                data["job_settings"] = validate_job_settings(job, data.get("job_settings") or {})
            except ValueError as error:
                self.add_error("job_settings", str(error))
        optimizer, pruner = data.get("optimizer"), data.get("pruner")
        if optimizer:
            data["optimizer_settings"] = self._collect("opt", optimizer, OPTIMIZERS)
        if pruner:
            data["pruner_settings"] = self._collect("pruner", pruner, PRUNERS)
            try:
                get_pruner(pruner, **data["pruner_settings"])
            except ValueError as error:
                self._error_on_setting("pruner", pruner, error)
        return data

    def check_optimizer(self, space: SearchSpace) -> None:
        """Build the optimizer once on the real space, so a bad setting is reported on its field."""
        optimizer = self.cleaned_data.get("optimizer")
        if not optimizer:
            return
        try:
            get_optimizer(
                optimizer,
                space,
                direction=self.cleaned_data.get("direction", "minimize"),
                seed=self.cleaned_data.get("seed") or 0,
                **self.cleaned_data["optimizer_settings"],
            )
        except ValueError as error:
            self._error_on_setting("opt", optimizer, error)


def _parse_choice(text: str):
    """A choice typed in a form: JSON numbers and booleans stay typed, anything else is a string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | bool) else text


class ParameterForm(forms.Form):
    name = forms.CharField(max_length=64)
    type = forms.ChoiceField(choices=[("float", "float"), ("int", "int"), ("categorical", "categorical")])
    low = forms.FloatField(required=False)
    high = forms.FloatField(required=False)
    log = forms.BooleanField(required=False)
    step = forms.FloatField(required=False)
    choices = forms.CharField(required=False, help_text="Comma-separated, for categorical parameters.")

    def clean(self):
        data = super().clean()
        kind = data.get("type")
        if kind == "categorical":
            if not (data.get("choices") or "").strip():
                self.add_error("choices", "A categorical parameter needs at least one choice.")
        elif kind:
            for bound in ("low", "high"):
                if data.get(bound) is None:
                    self.add_error(bound, f"A {kind} parameter needs a {bound} bound.")
        return data

    def to_spec(self) -> dict:
        data = self.cleaned_data
        if data["type"] == "categorical":
            return {
                "type": "categorical",
                "choices": [_parse_choice(c.strip()) for c in data["choices"].split(",")],
            }
        cast = (
            int
            if data["type"] == "int" and all(float(data[b]).is_integer() for b in ("low", "high"))
            else float
        )
        spec = {
            "type": data["type"],
            "low": cast(data["low"]),
            "high": cast(data["high"]),
            "log": data["log"],
        }
        if data.get("step") is not None:
            spec["step"] = cast(data["step"]) if float(data["step"]).is_integer() else data["step"]
        return spec


class BaseParameterFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        forms_ = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not forms_:
            raise forms.ValidationError("Add at least one parameter.")
        names = [f.cleaned_data["name"] for f in forms_]
        for form in forms_:
            if names.count(form.cleaned_data["name"]) > 1:
                form.add_error("name", "Two parameters have this name.")
        if any(self.errors):
            return
        try:
            self.space = SearchSpace.from_dict({f.cleaned_data["name"]: f.to_spec() for f in forms_})
        except ValueError as error:
            self._attach(forms_, str(error))

    def _attach(self, forms_, message: str) -> None:
        """Put the codec's error on the row it names (it names the parameter, and often the field)."""
        for form in forms_:
            if re.search(rf"'{re.escape(form.cleaned_data['name'])}'", message):
                field = next((f for f in ("low", "high", "step", "choices", "log") if f in message), "name")
                form.add_error(field, message)
                return
        raise forms.ValidationError(message)

    def spec(self) -> dict:
        return self.space.to_dict()


ParameterFormSet = forms.formset_factory(
    ParameterForm,
    formset=BaseParameterFormSet,
    extra=0,
    min_num=1,
    can_delete=True,
    max_num=64,
    validate_max=True,
)
