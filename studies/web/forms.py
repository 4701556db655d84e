"""Forms for creating a study in the browser: the study, its optimizer settings and the space editor.

The forms only turn typed text into the definition's JSON shape; `studies.definition` checks it, and
`StudyForm.show` puts each problem on the field its path names.
"""

from __future__ import annotations

import json

from django import forms
from django.forms.fields import InvalidJSONInput

from studies.definition import LIMITS, QUEUE_PATTERN, DefinitionError
from studies.definition_files import LONE_SURROGATE, is_text
from studies.job_catalog import job_choices
from studies.models import Study
from studies.optimizers import OPTIMIZERS
from studies.optimizers.parameters import MAX_NAME_LENGTH, MAX_PARAMETERS
from studies.optimizers.pruners import PRUNERS
from studies.optimizers.settings import Setting

_GROUPS = (("opt", "optimizer", OPTIMIZERS), ("pruner", "pruner", PRUNERS))


def _bounds(low, high) -> dict:
    return {key: value for key, value in (("min", low), ("max", high)) if value is not None}


def _number(key: str, required: bool = True, **kwargs) -> forms.Field:
    """A number field whose HTML bounds come from the declared limit (the definition checks them)."""
    limit = LIMITS[key]
    field = forms.IntegerField if limit.kind == "int" else forms.FloatField
    widget = forms.NumberInput(
        attrs=_bounds(limit.low, limit.high) | ({} if limit.kind == "int" else {"step": "any"})
    )
    return field(required=required, widget=widget, help_text=limit.help, **kwargs)


def _text(key: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        help_text=LIMITS[key].help,
        widget=kwargs.pop("widget", forms.TextInput)(attrs={"maxlength": LIMITS[key].high}),
        **kwargs,
    )


def _setting_field(setting: Setting) -> forms.Field:
    """A setting's field, labelled with the setting's own name (as the API and definition files spell
    it), not the form's internal field name."""
    shown = {"label": setting.name, "help_text": setting.help}
    if setting.type == "bool":
        return forms.BooleanField(required=False, initial=setting.default, **shown)
    if setting.type == "choice":
        choices = [(c, c) for c in setting.choices]
        return forms.ChoiceField(choices=choices, initial=setting.default, required=False, **shown)
    field = forms.IntegerField if setting.type == "int" else forms.FloatField
    attrs = _bounds(setting.min, setting.max) | ({} if setting.type == "int" else {"step": "any"})
    return field(required=False, initial=setting.default, widget=forms.NumberInput(attrs), **shown)


class _JSONField(forms.JSONField):
    """Typed JSON, refused on its field when it is nested too deeply to read or holds a string that is
    not text, and then re-shown as typed (Django's would raise, or re-show the parsed value on a page
    that cannot be encoded)."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError("JSON nested too deeply to read") from None
        if not is_text(parsed):
            raise forms.ValidationError(LONE_SURROGATE)
        return parsed

    def bound_data(self, data, initial):
        try:
            self.to_python(data)
        except forms.ValidationError:
            return InvalidJSONInput(data)
        return super().bound_data(data, initial)


class _OptionalJSONField(_JSONField):
    """Blank when there is no value, where Django's JSON field shows `null`."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


def setting_field_name(group: str, owner: str, setting: str) -> str:
    return f"{group}__{owner}__{setting}"


class StudyForm(forms.Form):
    """The study's own fields plus one field per optimizer and pruner setting (shown for the chosen one)."""

    name = _text("name")
    description = _text("description", required=False, widget=forms.Textarea)
    project = forms.ModelChoiceField(queryset=None)
    job = forms.ChoiceField()
    job_settings = _JSONField(required=False, initial=dict, help_text='JSON object, e.g. {"epochs": 10}.')
    direction = forms.ChoiceField(choices=Study.Direction.choices)
    metric = _text("metric", initial="loss")
    objectives = _OptionalJSONField(
        required=False,
        help_text="Several objectives in place of metric and direction, e.g. "
        '[{"metric": "error", "direction": "minimize"}, {"metric": "latency_ms", "direction": "minimize"}].',
    )
    constraints = _OptionalJSONField(
        required=False,
        help_text='With objectives: limits a feasible trial keeps, e.g. [{"metric": "memory_gb", "max": 8}].',
    )
    optimizer = forms.ChoiceField(choices=[(n, n) for n in OPTIMIZERS], initial="random")
    seed = _number("seed", required=False, initial=0)
    pruner = forms.ChoiceField(choices=[(n, n) for n in PRUNERS], initial="none")
    max_trials = _number("max_trials", initial=20)
    max_parallel = _number("max_parallel", initial=2)
    max_retries = _number("max_retries", initial=1)
    max_consecutive_failures = _number("max_consecutive_failures", initial=5)
    trial_timeout_s = _number("trial_timeout_s", required=False, label="Trial timeout (s)")
    queue = forms.CharField(
        required=False,
        initial="hpoweb",
        widget=forms.TextInput(attrs={"pattern": QUEUE_PATTERN.pattern.strip("^$")}),
        help_text="Only workers started with -Q and this name (e.g. -Q gpu) run its trials.",
    )
    start = forms.BooleanField(required=False, initial=True, label="Start at once")

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].widget.attrs["rows"] = 2
        self.fields["project"].queryset = projects
        self.fields["job"].choices = job_choices()
        for group, _key, table in _GROUPS:
            for owner, schema in table.items():
                for setting in schema:
                    self.fields[setting_field_name(group, owner, setting.name)] = _setting_field(setting)

    def setting_groups(self) -> list[tuple[str, str, list]]:
        """(group, owner, bound fields) for the template to show beside the chosen optimizer/pruner."""
        return [
            (group, owner, [self[setting_field_name(group, owner, s.name)] for s in schema])
            for group, _key, table in _GROUPS
            for owner, schema in table.items()
        ]

    def definition(self, space: dict) -> dict:
        """The study definition in the API's shape, with the chosen optimizer's and pruner's settings."""
        data = {key: value for key, value in self.cleaned_data.items() if "__" not in key and key != "start"}
        data["queue"] = data["queue"] or None
        data["job_settings"] = data["job_settings"] or {}
        data["objectives"], data["constraints"] = data["objectives"] or None, data["constraints"] or None
        if data["objectives"] is not None:  # they replace metric and direction
            del data["metric"], data["direction"]
        for group, key, table in _GROUPS:
            owner = data[key]
            values = {
                s.name: self.cleaned_data.get(setting_field_name(group, owner, s.name)) for s in table[owner]
            }
            data[f"{key}_settings"] = {name: v for name, v in values.items() if v is not None and v != ""}
        return {**data, "space": space}

    def show(self, error: DefinitionError, formset: BaseParameterFormSet) -> None:
        """Each problem on the field its path names; a path no field owns goes to the top of the form."""
        for path, messages in error.errors.items():
            head, _, rest = path.partition(".")
            if head == "space":
                formset.show(rest, messages)
            elif head.endswith("_settings") and head != "job_settings" and rest:
                group = "opt" if head == "optimizer_settings" else "pruner"
                name = setting_field_name(group, self.cleaned_data.get(head[: -len("_settings")], ""), rest)
                self.add_error(name if name in self.fields else head[: -len("_settings")], messages)
            elif head in self.fields:
                self.add_error(head, messages)
            else:
                self.add_error(None, [f"{path}: {m}" for m in messages])


def _parse_choice(text: str):
    """A choice typed in a form: JSON numbers and booleans stay typed, anything else is a string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | bool) else text


def _parse_list(text: str) -> list:
    text = text.strip()
    return [_parse_choice(c.strip()) for c in text.split(",")] if text else []


def _split_conditions(text: str) -> list[str]:
    """The ';'-separated parts of a row's parent or values field ([] when empty)."""
    return [part.strip() for part in text.split(";")] if text.strip() else []


class ParameterForm(forms.Form):
    """One row of the space editor; it only types what was entered (the definition checks it)."""

    name = forms.CharField(widget=forms.TextInput(attrs={"maxlength": MAX_NAME_LENGTH}))
    type = forms.ChoiceField(choices=[("float", "float"), ("int", "int"), ("categorical", "categorical")])
    low = forms.FloatField(required=False)
    high = forms.FloatField(required=False)
    log = forms.BooleanField(required=False)
    step = forms.FloatField(required=False)
    choices = forms.CharField(required=False, help_text="Comma-separated, for categorical parameters.")
    parent = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"list": "param-parents"}),
        help_text="The categorical or int parameter(s) this one depends on, several separated by ';' "
        "(empty: always active).",
    )
    parent_values = forms.CharField(
        required=False,
        help_text="Comma-separated values of the parent for which this parameter exists; with several "
        "parents one list per parent, separated by ';'.",
    )

    def clean(self):
        data = super().clean()
        parents, lists = (
            _split_conditions(data.get("parent", "")),
            _split_conditions(data.get("parent_values", "")),
        )
        if parents and not any(lists):
            self.add_error("parent_values", "List the values of the parent for which this parameter exists.")
        elif len(parents) != len(lists) or not all(lists):
            self.add_error(
                "parent_values",
                f"Give one list of values per parent, separated by ';' ({len(parents)} parent(s), "
                f"{len([v for v in lists if v])} list(s)).",
            )
        return data

    def to_spec(self) -> dict:
        spec = self._own_spec()
        parents = _split_conditions(self.cleaned_data["parent"])
        if parents:
            lists = _split_conditions(self.cleaned_data["parent_values"])
            spec["when"] = {
                parent: _parse_list(values) for parent, values in zip(parents, lists, strict=True)
            }
        return spec

    def _own_spec(self) -> dict:
        data = self.cleaned_data
        if data["type"] == "categorical":
            return {"type": "categorical", "choices": _parse_list(data["choices"])}
        numbers = {key: data[key] for key in ("low", "high", "step") if data.get(key) is not None}
        if data["type"] == "int":
            numbers = {key: int(v) if float(v).is_integer() else v for key, v in numbers.items()}
        return {"type": data["type"], **numbers, "log": data["log"]}


class BaseParameterFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        names = [f.cleaned_data["name"] for f in self._rows()]
        for form in self._rows():
            if names.count(form.cleaned_data["name"]) > 1:
                form.add_error("name", "Two parameters have this name.")

    def _rows(self) -> list[ParameterForm]:
        return [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def spec(self) -> dict:
        return {f.cleaned_data["name"]: f.to_spec() for f in self._rows()}

    def show(self, path: str, messages: list[str]) -> None:
        """Put the problems of `space.<path>` on the row (and field) it names, else above the rows."""
        name, _, key = path.partition(".")
        key = "parent" if key == "when" else key
        for form in self._rows():
            if form.cleaned_data["name"] == name:
                form.add_error(key if key in form.fields else "name", messages)
                return
        self.non_form_errors().extend(messages)


ParameterFormSet = forms.formset_factory(
    ParameterForm, formset=BaseParameterFormSet, extra=0, min_num=1, can_delete=True, max_num=MAX_PARAMETERS
)
