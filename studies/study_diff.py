"""Studies' definitions side by side: one row per setting, the rows that differ marked, and a label
per study that names what sets it apart (`b · gp (ucb, kappa 2)`), never the optimizer alone."""

from __future__ import annotations

from studies.models import Study
from studies.trial_compare import Row, goal, make_row

# (section, plain fields, settings dict whose keys become rows)
SECTIONS = (
    ("Job", ("job", "direction", "metric"), "job_settings"),
    ("Optimizer", ("optimizer", "seed"), "optimizer_settings"),
    ("Pruner", ("pruner",), "pruner_settings"),
    (
        "Budget",
        ("max_trials", "max_parallel", "max_retries", "max_consecutive_failures", "trial_timeout_s"),
        "",
    ),
)


def spec_text(spec: dict | None) -> str | None:
    """A parameter in a line, its conditions included (`float [1e-05, 1] log when x1 in 0`): two
    studies that differ only in when a parameter is active differ in this row."""
    if spec is None:
        return None
    if spec["type"] == "categorical":
        text = "one of " + ", ".join(str(c) for c in spec["choices"])
    else:
        text = f"{spec['type']} [{spec['low']:g}, {spec['high']:g}]" + (" log" if spec.get("log") else "")
        text += f" step {spec['step']:g}" if "step" in spec else ""
    conditions = [
        f"{parent} in {', '.join(map(str, values))}" for parent, values in spec.get("when", {}).items()
    ]
    return text + (" when " + " and ".join(conditions) if conditions else "")


def _space_rows(studies: list[Study]) -> list[Row]:
    specs = [{p.name: p.to_spec() for p in study.space.parameters.all()} for study in studies]
    names = list(dict.fromkeys(name for spec in specs for name in spec))
    return [make_row(name, [spec_text(spec.get(name)) for spec in specs]) for name in names]


def _settings_rows(studies: list[Study], attribute: str) -> list[Row]:
    keys = list(dict.fromkeys(key for study in studies for key in getattr(study, attribute)))
    return [make_row(f"{attribute}.{key}", [getattr(s, attribute).get(key) for s in studies]) for key in keys]


def definition_rows(studies: list[Study]) -> list[tuple[str, list[Row]]]:
    """(section, rows) for the space, job, optimizer, pruner and budget of `studies` (spaces prefetched)."""
    sections = [("Space", _space_rows(studies))]
    for title, fields, settings in SECTIONS:
        rows = [make_row(field, [getattr(study, field) for study in studies]) for field in fields]
        if title == "Job":  # what a trial is judged by: every objective and constraint, not the first alone
            rows.append(make_row("objectives", [goal(study) for study in studies]))
        sections.append((title, rows + (_settings_rows(studies, settings) if settings else [])))
    return sections


def _differing_keys(studies: list[Study], attribute: str) -> list[str]:
    keys = dict.fromkeys(key for study in studies for key in getattr(study, attribute))
    return [k for k in keys if len({repr(getattr(s, attribute).get(k)) for s in studies}) > 1]


def _setting_text(key: str, value) -> str:
    return value if isinstance(value, str) else f"{key} {value}"


def labels(studies: list[Study]) -> dict[int, str]:
    """Each study's name with its optimizer, the optimizer settings that differ among `studies`, and
    any other differing choice (seed, pruner, job, budget)."""
    settings = _differing_keys(studies, "optimizer_settings")
    others = [
        field
        for _title, fields, _settings in SECTIONS
        for field in fields
        if field != "optimizer" and len({repr(getattr(s, field)) for s in studies}) > 1
    ]
    out = {}
    for study in studies:
        shown = [
            _setting_text(k, study.optimizer_settings[k]) for k in settings if k in study.optimizer_settings
        ]
        parts = [study.optimizer + (f" ({', '.join(shown)})" if shown else "")]
        parts += [f"{field} {getattr(study, field)}" for field in others]
        out[study.pk] = f"{study.name} · {', '.join(parts)}"
    return out


def repeat_groups(studies: list[Study]) -> list[list[Study]]:
    """Groups of two or more studies whose definitions differ only in seed (and name, description)."""
    groups: dict[tuple, list[Study]] = {}
    for study in studies:
        fields = [f for f in Study.DEFINITION_FIELDS if f not in ("seed", "description")]
        space = sorted((p.name, repr(p.to_spec())) for p in study.space.parameters.all())
        key = (*(repr(getattr(study, f)) for f in fields), repr(space))
        groups.setdefault(key, []).append(study)
    return [group for group in groups.values() if len(group) > 1]
