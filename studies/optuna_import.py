"""An Optuna study brought into hpoweb: read from any Optuna storage, translated into an hpoweb study
export and stored by `imports.import_study` (so one transaction and the one definition validator:
a study that cannot be imported stores nothing).

Distributions become the space (float and int with log and step, categorical); a parameter whose
range differs between trials gets the union of its ranges. A define-by-run study, whose finished
trials set different parameters, gets a conditional space when the data say when each parameter is
set (present exactly when one categorical parameter takes some values), and is refused otherwise. A
study with several directions keeps them as `objectives`, named by Optuna's metric names or
`value_0`, `value_1`, ... States map: COMPLETE and PRUNED keep their
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
from studies.optimizers import SearchSpace
from studies.optimizers.conditions import choice_key
from studies.optimizers.space import SpaceError

OPTUNA = "optuna"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_OPTUNA_TABLES = {"studies", "trials", "version_info"}
_FINISHED = ("COMPLETE", "PRUNED")
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
            return _rdb_storage(optuna, location, location)
        path = Path(location)
        if not path.is_file():
            raise ImportFailed(f"no Optuna storage at {location!r}")
        with path.open("rb") as f:
            if f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
                return _rdb_storage(optuna, f"sqlite:///{path}", location)
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    except ImportFailed:
        raise
    except Exception as error:  # sqlalchemy, JSON and schema-version errors of a storage Optuna cannot read
        raise ImportFailed(f"cannot read the Optuna storage {location!r}: {str(error)[:500]}") from None


def _rdb_storage(optuna, url: str, location: str):
    """Optuna's RDB storage, only over a database that holds Optuna's tables: Optuna creates them in
    any database it is pointed at (hpoweb's own, another program's), which an import must not change."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    if not _OPTUNA_TABLES <= tables:
        raise ImportFailed(f"{location!r} is a database without Optuna's tables, not an Optuna storage")
    return optuna.storages.RDBStorage(url)


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
    held = ", ".join(repr(n) for n in names)
    if not name:
        raise ImportFailed(f"the storage holds several Optuna studies, name the one to import: {held}")
    if name not in names:
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
    trials = source.get_trials(deepcopy=False)
    space = _space(trials)
    if not space:
        raise ImportFailed(f"the Optuna study {source.study_name!r} has no trial that set a parameter")
    fitting = _search_space(space)
    metrics = [o["metric"] for o in _objectives(source)]
    kept, skipped = [], []
    for trial in trials:
        params = _params(trial)
        if _fits(fitting, params):
            kept.append(_trial(trial, params, len(kept) + 1, metrics))
        else:
            skipped.append(trial)
    return {
        "format": exports.FORMAT,
        "version": exports.VERSION,
        "study": {**_study(source, kept, skipped), "note": _attributes_note(source.user_attrs, system_attrs)},
        "space": space,
        "trials": kept,
    }


def _objectives(source) -> list[dict]:
    names = source.metric_names or [f"value_{i}" for i in range(len(source.directions))]
    return [
        {"metric": str(n), "direction": d.name.lower()} for n, d in zip(names, source.directions, strict=True)
    ]


def _study(source, kept: list[dict], skipped: list) -> dict:
    waiting = any(t["state"] == Trial.State.QUEUED for t in kept)
    reason = f"imported from Optuna study {source.study_name!r}"
    if skipped:
        numbers = ", ".join(str(t.number) for t in skipped[:20])
        reason += (
            f"; left out {len(skipped)} Optuna trial(s) that do not fit the space (failed early, or "
            f"waiting with only some fixed): {numbers}"
        )
    objectives = _objectives(source)
    if len(objectives) > 1:
        objective = {"objectives": objectives, "optimizer": "nsga2"}
    else:
        objective = {**objectives[0], "metric": objectives[0]["metric"][:64], "optimizer": "tpe"}
    return {
        **objective,
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


# --- the space: the union of every trial's distributions, conditional where trials differ ----------


def _space(trials) -> dict:
    """Parameters that no finished trial sets are left out (only failed or waiting trials hold them:
    nothing says when they apply); with no finished trial, every parameter is kept unconditionally."""
    space: dict[str, dict] = {}
    for trial in trials:
        for name, distribution in trial.distributions.items():
            spec = _parameter(name, distribution)
            space[name] = _union(name, space[name], spec, trial.number) if name in space else spec
    finished = [dict(t.params) for t in trials if t.state.name in _FINISHED]
    if not finished:
        return space
    space = {name: spec for name, spec in space.items() if any(name in p for p in finished)}
    return _conditional(space, finished)


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


def _conditional(space: dict, finished: list[dict]) -> dict:
    """Each parameter that only some finished trials set gets `when` on the categorical parameter whose
    values say exactly when it is set; ImportFailed names those no parameter explains."""
    unexplained = []
    for name in [n for n in space if not all(n in params for params in finished)]:
        parent = _parent(name, space, finished)
        if parent is None:
            unexplained.append(name)
        else:
            space[name] = {**space[name], "when": {parent[0]: parent[1]}}
    if unexplained:
        names = ", ".join(repr(n) for n in unexplained)
        raise ImportFailed(
            f"parameter(s) {names} are set by only some finished trials (define-by-run), and no categorical "
            "parameter's values say when: hpoweb imports such a study as a conditional space only when each "
            "parameter is set exactly when one categorical parameter takes some values"
        )
    return space


def _parent(name: str, space: dict, finished: list[dict]) -> tuple[str, list] | None:
    """(parent, its values that set `name`): a categorical set in every trial that sets `name`, whose
    values in those trials never occur in a trial without `name`. The most often set one wins, so a
    nested choice defers to the one above it."""
    candidates = []
    for order, (parent, spec) in enumerate(space.items()):
        holding = [params for params in finished if parent in params]
        setting = {choice_key(p[parent]) for p in holding if name in p}
        other = {choice_key(p[parent]) for p in holding if name not in p}
        explains = all(parent in p for p in finished if name in p) and other and not setting & other
        if parent != name and spec["type"] == "categorical" and explains:
            values = [c for c in spec["choices"] if choice_key(c) in setting]
            candidates.append((-len(holding), order, parent, values))
    return min(candidates)[2:] if candidates else None


def _search_space(space: dict) -> SearchSpace | None:
    """None when the space is not one hpoweb holds: `import_study` then refuses the definition with
    its problems by path, before any trial counts."""
    try:
        return SearchSpace.from_dict(space)
    except SpaceError:
        return None


def _fits(space: SearchSpace | None, params: dict) -> bool:
    """Whether a trial sets exactly the parameters the space makes active, each inside it; failed
    trials that stopped early and waiting trials with only some parameters fixed do not."""
    if space is None:
        return True
    try:
        space.validate_params(params)
    except ValueError:
        return False
    return True


# --- trials ------------------------------------------------------------------------------------------


def _params(trial) -> dict:
    if trial.state.name == "WAITING":
        return dict(trial.system_attrs.get("fixed_params") or {})
    return dict(trial.params)


def _trial(trial, params: dict, number: int, metrics: list[str]) -> dict:
    """`metrics` name the objectives, in Optuna's order of `trial.values`."""
    state, values, reason = _outcome(trial)
    started, finished = _iso(trial.datetime_start), _iso(trial.datetime_complete)
    document = {
        "number": number,
        "state": state,
        "params": params,
        "value": values[0] if values else None,
        "values": dict(zip(metrics, values, strict=True)) if values else None,
        "created": started,
        "started": started,
        "finished": finished if state != "queued" else None,
        "worker": OPTUNA if state != "queued" else "",
        "error": reason,
        "n_attempts": 0 if state == "queued" else 1,
        "suggestion": {
            "phase": OPTUNA,
            "optuna_number": trial.number,
            "user_attrs": _attrs(trial.user_attrs),
            "system_attrs": _attrs(trial.system_attrs),
        },
    }
    if state != "queued":
        document["attempt"] = 1
        document["attempts"] = [_attempt(trial, state, reason, started, finished)]
    return document


def _attrs(attrs: dict) -> dict:
    """Attributes as JSON a database stores: Optuna keeps NaN and infinities (Python's json writes
    them), which no JSON column holds, so they become their text ("NaN", "Infinity")."""
    return json.loads(json.dumps(attrs, default=str), parse_constant=str)


def _outcome(trial) -> tuple[str, list[float] | None, str]:
    """(hpoweb state, values in objective order, reason) of an Optuna trial."""
    optuna_state = trial.state.name
    state = _STATES[optuna_state]
    curve = _curve(trial)
    values = trial.values if optuna_state in _FINISHED else None
    if optuna_state == "PRUNED" and values is None and curve:
        values = [curve[-1][1]]
    if values is not None and not all(math.isfinite(v) for v in values):
        return Trial.State.FAILED, None, f"Optuna recorded the value(s) {values}, not all finite numbers"
    reasons = {
        "RUNNING": "still running in Optuna when the study was imported",
        "FAIL": "failed in Optuna",
        "PRUNED": "pruned in Optuna",
    }
    return state, values, reasons.get(optuna_state, "")


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
