"""An Optuna study brought into hpoweb: read from any Optuna storage, translated into an hpoweb study
export and stored by `imports.import_study` (so one transaction and the one definition validator:
a study that cannot be imported stores nothing).

Distributions become the space (float and int with log and step, categorical); a parameter whose
range differs between trials gets the union of its ranges. States map: COMPLETE and PRUNED keep their
value (a pruned trial without one takes its last intermediate value), FAIL is failed, RUNNING becomes
failed with a reason, WAITING becomes queued (its fixed parameters). Intermediate values become the
learning curve; user and system attributes are kept (the study's in its note, a trial's beside the
optimizer's info). Trials are numbered from 1 (Optuna's number is kept as `optuna_number`).

Optuna is optional on a server: it is imported only here, when an import is asked for.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

from studies import exports
from studies.imports import ImportFailed, import_study
from studies.models import Attempt, Project, Study, Trial

OPTUNA = "optuna"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_STATES = {
    "COMPLETE": "complete",
    "PRUNED": "pruned",
    "FAIL": "failed",
    "RUNNING": "failed",
    "WAITING": "queued",
}


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ImportFailed("Optuna is not installed on this server (pip install optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def open_storage(location: str):
    """An Optuna storage: an RDB URL (`sqlite:///file.db`, `postgresql://...`), or the path of an
    SQLite or journal file. Nothing is created where nothing was."""
    optuna = _optuna()
    try:
        if "://" in location:
            if location.startswith("sqlite:///") and not Path(location[len("sqlite:///") :]).is_file():
                raise ImportFailed(f"no SQLite file at {location!r}")
            return optuna.storages.RDBStorage(location)
        path = Path(location)
        if not path.is_file():
            raise ImportFailed(f"no Optuna storage at {location!r}")
        with path.open("rb") as f:
            if f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
                return optuna.storages.RDBStorage(f"sqlite:///{path}")
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    except ImportFailed:
        raise
    except Exception as error:  # sqlalchemy, JSON and schema-version errors of a storage Optuna cannot read
        raise ImportFailed(f"cannot read the Optuna storage {location!r}: {str(error)[:500]}") from None


def load_study(storage, name: str = ""):
    """The named study; without a name, the storage's only study."""
    optuna = _optuna()
    try:
        names = optuna.get_all_study_names(storage)
    except Exception as error:
        raise ImportFailed(f"cannot read the Optuna storage: {str(error)[:500]}") from None
    if not names:
        raise ImportFailed("the storage holds no Optuna study (is it an Optuna SQLite or journal file?)")
    if not name and len(names) == 1:
        name = names[0]
    if name not in names:
        held = ", ".join(repr(n) for n in names)
        raise ImportFailed(f"no Optuna study named {name!r} in the storage; it holds {held}")
    return optuna.load_study(study_name=name, storage=storage)


def import_optuna(user, project: Project, location: str, study_name: str = "", name: str = "") -> Study:
    """A new hpoweb study in `project` holding the Optuna study's trials; ImportFailed says why not."""
    storage = open_storage(location)
    source = load_study(storage, study_name)
    system_attrs = storage.get_study_system_attrs(storage.get_study_id_from_name(source.study_name))
    return import_study(user, project, document_of(source, system_attrs), name or source.study_name)


def document_of(source, system_attrs: dict) -> dict:
    """The Optuna study as an hpoweb export (`studies.exports`), ready for `imports.import_study`;
    `system_attrs` are the study's (Optuna 5 reads them from the storage only)."""
    if len(source.directions) > 1:
        raise ImportFailed(
            f"the Optuna study has {len(source.directions)} objectives; hpoweb studies have one for now"
        )
    trials = source.get_trials(deepcopy=False)
    space = _space(trials)
    kept, skipped = [], []
    for trial in trials:
        params = _params(trial)
        if set(params) == set(space):
            kept.append(_trial(trial, params, len(kept) + 1))
        else:
            skipped.append(trial)
    _check_define_by_run(skipped)
    return {
        "format": exports.FORMAT,
        "version": exports.VERSION,
        "study": {**_study(source, kept, skipped), "note": _attributes_note(source.user_attrs, system_attrs)},
        "space": space,
        "trials": kept,
    }


def _study(source, kept: list[dict], skipped: list) -> dict:
    waiting = any(t["state"] == Trial.State.QUEUED for t in kept)
    reason = f"imported from Optuna study {source.study_name!r}"
    if skipped:
        numbers = ", ".join(str(t.number) for t in skipped[:20])
        reason += (
            f"; left out {len(skipped)} Optuna trial(s) that do not set every parameter (failed early, or "
            f"waiting with only some fixed): {numbers}"
        )
    metric = (source.metric_names or ["value"])[0]
    return {
        "direction": source.direction.name.lower(),
        "metric": str(metric)[:64],
        "optimizer": "tpe",
        "max_trials": max(len(kept), 1),
        "max_parallel": 1,
        "job": "external",
        "state": Study.State.PAUSED if waiting else Study.State.COMPLETED,
        "state_reason": reason,
    }


def _attributes_note(user_attrs: dict, system_attrs: dict) -> str:
    if not user_attrs and not system_attrs:
        return ""
    attrs = json.dumps({"user_attrs": user_attrs, "system_attrs": system_attrs}, indent=2, default=str)
    return f"Attributes of the Optuna study:\n\n```json\n{attrs}\n```\n"


# --- the space: the union of every trial's distributions --------------------------------------------


def _space(trials) -> dict:
    space: dict[str, dict] = {}
    for trial in trials:
        for name, distribution in trial.distributions.items():
            spec = _parameter(name, distribution)
            space[name] = _union(name, space[name], spec, trial.number) if name in space else spec
    return space


def _parameter(name: str, distribution) -> dict:
    kind = type(distribution).__name__
    if kind == "CategoricalDistribution":
        return {"type": "categorical", "choices": list(distribution.choices)}
    if kind not in ("FloatDistribution", "IntDistribution"):
        raise ImportFailed(f"parameter {name!r}: Optuna's {kind} has no hpoweb equivalent")
    spec = {"type": "int" if kind == "IntDistribution" else "float", "low": distribution.low}
    spec.update(high=distribution.high, log=distribution.log)
    if distribution.step is not None and not (kind == "IntDistribution" and distribution.step == 1):
        spec["step"] = distribution.step
    return spec


def _union(name: str, known: dict, spec: dict, number: int) -> dict:
    """Optuna lets a numeric range change between trials (never a kind, log, step or choices)."""
    if known == spec:
        return known
    if known["type"] == "categorical" or _shape(known) != _shape(spec):
        raise ImportFailed(
            f"parameter {name!r}: trial {number} samples it as {spec}, earlier trials as {known}"
        )
    return {**known, "low": min(known["low"], spec["low"]), "high": max(known["high"], spec["high"])}


def _shape(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key not in ("low", "high")}


def _check_define_by_run(skipped: list) -> None:
    """Failed trials may stop before setting every parameter; any other trial without them is a
    define-by-run study, which needs a conditional space."""
    finished = [t for t in skipped if t.state.name in ("COMPLETE", "PRUNED")]
    if finished:
        raise ImportFailed(
            f"trial {finished[0].number} sets only {sorted(finished[0].params)}: its parameters depend on "
            "earlier choices (define-by-run), which hpoweb imports once it has conditional spaces"
        )


# --- trials ------------------------------------------------------------------------------------------


def _params(trial) -> dict:
    if trial.state.name == "WAITING":
        return dict(trial.system_attrs.get("fixed_params") or {})
    return dict(trial.params)


def _trial(trial, params: dict, number: int) -> dict:
    state, value, reason = _outcome(trial)
    started, finished = _iso(trial.datetime_start), _iso(trial.datetime_complete)
    document = {
        "number": number,
        "state": state,
        "params": params,
        "value": value,
        "created": started,
        "started": started,
        "finished": finished if state != "queued" else None,
        "worker": OPTUNA if state != "queued" else "",
        "error": reason,
        "n_attempts": 0 if state == "queued" else 1,
        "suggestion": {
            "phase": OPTUNA,
            "optuna_number": trial.number,
            "user_attrs": trial.user_attrs,
            "system_attrs": trial.system_attrs,
        },
    }
    if state != "queued":
        document["attempt"] = 1
        document["attempts"] = [_attempt(trial, state, reason, started, finished)]
    return document


def _outcome(trial) -> tuple[str, float | None, str]:
    """(hpoweb state, value, reason) of an Optuna trial."""
    optuna_state = trial.state.name
    state = _STATES[optuna_state]
    curve = _curve(trial)
    value = trial.value if optuna_state in ("COMPLETE", "PRUNED") else None
    if optuna_state == "PRUNED" and value is None and curve:
        value = curve[-1][1]
    if value is not None and not math.isfinite(value):
        return Trial.State.FAILED, None, f"Optuna recorded the value {value}, not a finite number"
    reasons = {
        "RUNNING": "still running in Optuna when the study was imported",
        "FAIL": "failed in Optuna",
        "PRUNED": "pruned in Optuna",
    }
    return state, value, reasons.get(optuna_state, "")


def _attempt(trial, state: str, reason: str, started: str | None, finished: str | None) -> dict:
    attempt_state = Attempt.State.FAILED if state == "failed" else state
    return {
        "number": 1,
        "state": attempt_state,
        "worker": OPTUNA,
        "claimed": started or finished,
        "heartbeat": finished or started,
        "ended": finished,
        "reason": reason,
        "curve": _curve(trial),
    }


def _curve(trial) -> list[list]:
    """The intermediate values as [step, value] in step order; non-finite ones (no information) left out."""
    points = sorted(trial.intermediate_values.items())
    return [[int(step), float(v)] for step, v in points if v is not None and math.isfinite(v)]


def _iso(moment: datetime | None) -> str | None:
    """Optuna keeps naive local times: made aware in this machine's zone."""
    return None if moment is None else moment.astimezone().isoformat()
