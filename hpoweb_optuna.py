"""hpoweb for Optuna scripts: mirror a study into hpoweb live, or let hpoweb's optimizer propose its points.

Optuna is optional: this module imports it, `hpoweb_client` never does.

Mirror (any sampler; each finished trial is recorded in hpoweb with its learning curve, so the team
dashboard, the GP posterior plots and the exports follow the run):

    from hpoweb_client import Client
    from hpoweb_optuna import HpowebCallback

    mirror = HpowebCallback(Client("http://hpoweb:8000", token), project="Vision")
    study.optimize(objective, n_trials=100, callbacks=[mirror])

Sampler (an hpoweb study whose job is `external` and whose space matches the `suggest_*` calls;
hpoweb's optimizer proposes, Optuna runs the objective and its pruners as before):

    from hpoweb_optuna import HpowebSampler

    study = optuna.create_study(sampler=HpowebSampler(Client(url, token), study_id=7))
    study.optimize(objective, n_trials=30)
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import time
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlencode

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from hpoweb_client import ApiError, Client, Conflict, Trial

log = logging.getLogger("hpoweb_client.optuna")
_STATES = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}
MIRROR_BUDGET = 1_000_000  # the most trials a study holds: a mirror never runs out


class HpowebCallback:
    """An Optuna callback that records each finished trial in an hpoweb study.

    Without `study_id` it creates an external hpoweb study named after the Optuna study at the first
    trial, its space from that trial's distributions. Recording is idempotent (a request id per
    Optuna trial); when hpoweb cannot be reached the trial is logged and skipped, never the run.
    """

    def __init__(self, client: Client, study_id: int | None = None, project: str | None = None) -> None:
        self.client, self.study_id, self.project = client, study_id, project

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if trial.state not in _STATES:
            return
        try:
            if self.study_id is None:
                self.study_id = self._create(study, trial)
            self.client.call(f"/api/studies/{self.study_id}/trials/", self.body(study, trial))
        except ApiError as error:
            log.warning("trial %s was not mirrored to hpoweb: %s", trial.number, error)

    def body(self, study: optuna.Study, trial: FrozenTrial) -> dict:
        """The API body that records `trial`."""
        key = hashlib.sha256(f"{study.study_name}/{trial.number}".encode()).hexdigest()[:40]
        body = {
            "params": trial.params,
            "state": _STATES[trial.state],
            "started": _iso(trial.datetime_start),
            "finished": _iso(trial.datetime_complete),
            "curve": [[step, v] for step, v in sorted(trial.intermediate_values.items()) if math.isfinite(v)],
            "request_id": f"optuna-{trial.number}-{key}"[:64],
        }
        if trial.state == TrialState.COMPLETE and all(math.isfinite(v) for v in trial.values):
            body["values"] = list(trial.values)  # in the order of the study's objectives
        elif trial.state == TrialState.COMPLETE:  # hpoweb fails a result that is not finite numbers
            body.update(state="failed", error=f"Optuna recorded the value(s) {trial.values}, not all finite")
        if trial.state == TrialState.FAIL:
            body["error"] = str(trial.system_attrs.get("fail_reason", "failed in Optuna"))
        return body

    def _create(self, study: optuna.Study, trial: FrozenTrial) -> int:
        """The external study this Optuna study's earlier run mirrored into, else a new one."""
        earlier = self._earlier_mirror(study.study_name)
        if earlier is not None:
            return earlier
        objectives = _objectives(study)
        definition = {
            "name": study.study_name,
            "job": "external",
            **({"objectives": objectives} if len(objectives) > 1 else objectives[0]),
            "space": {name: space_of(d) for name, d in trial.distributions.items()},
            "max_trials": MIRROR_BUDGET,
            "max_parallel": 1,
        }
        if self.project:
            definition["project"] = self.project
        return self.client.call("/api/studies/", definition)[1]["id"]

    def _earlier_mirror(self, name: str) -> int | None:
        """A resumed named Optuna study (`load_if_exists=True`) goes on in the study its first run
        created: the one external study of that name (in `project`, when given). Its trials' request ids
        make the trials mirrored before count once."""
        query = urlencode(
            {"search": name, "job": "external", **({"project": self.project} if self.project else {})}
        )
        found = self.client.call(f"/api/studies/?{query}", method="GET")[1]["results"]
        same = [s["id"] for s in found if s["name"] == name]
        return same[0] if len(same) == 1 else None


def _objectives(study: optuna.Study) -> list[dict]:
    """Optuna's directions named by its metric names, else `value` (or `value_0`, `value_1`, ... as
    the import names several)."""
    count = len(study.directions)
    names = study.metric_names or (["value"] if count == 1 else [f"value_{i}" for i in range(count)])
    return [{"metric": n, "direction": d.name.lower()} for n, d in zip(names, study.directions, strict=True)]


def space_of(distribution: BaseDistribution) -> dict:
    """An Optuna distribution as an hpoweb parameter."""
    if isinstance(distribution, CategoricalDistribution):
        return {"type": "categorical", "choices": list(distribution.choices)}
    kind = "int" if isinstance(distribution, IntDistribution) else "float"
    spec = {"type": kind, "low": distribution.low, "high": distribution.high, "log": distribution.log}
    if distribution.step is not None and not (kind == "int" and distribution.step == 1):
        spec["step"] = distribution.step
    return spec


class HpowebSampler(BaseSampler):
    """Each Optuna trial takes the point an hpoweb study's optimizer proposes (ask/tell underneath).

    The hpoweb study must be external and running, with the parameters the objective suggests. Its
    budget and max_parallel apply: when it has nothing to hand out the sampler waits (`poll_s`) while
    the study is running or paused, and raises once it has ended.
    """

    def __init__(self, client: Client, study_id: int, poll_s: float = 2.0) -> None:
        self.client, self.study_id, self.poll_s = client, study_id, poll_s
        self._handouts: dict[int, Trial] = {}
        self._metrics: list[str] | None = None

    def infer_relative_search_space(self, study, trial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study, trial, search_space) -> dict:
        return {}

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._handouts[trial._trial_id] = self._ask()

    def sample_independent(self, study, trial, param_name: str, param_distribution: BaseDistribution):
        """The handed-out value, refused when Optuna's distribution does not hold it (Optuna itself
        would run a point outside the range the objective asked for without a word)."""
        params = self._handouts[trial._trial_id].params
        if param_name not in params:
            raise ValueError(
                f"hpoweb study {self.study_id} has no parameter {param_name!r}: {sorted(params)}"
            )
        value = params[param_name]
        try:
            inside = param_distribution._contains(param_distribution.to_internal_repr(value))
        except ValueError:
            inside = False
        if not inside:
            raise ValueError(
                f"hpoweb study {self.study_id} proposes {param_name}={value!r}, outside Optuna's "
                f"{param_distribution}: make the study's space match the suggest_* calls"
            )
        return value

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        """Tell hpoweb how its point did. A trial that ran other parameters (fixed by `enqueue_trial`)
        fails the handout instead, and is recorded as what it ran, so hpoweb never pairs a result
        with a point that did not produce it."""
        handout = self._handouts.pop(trial._trial_id)
        stopped_early = state == TrialState.FAIL and trial.params.items() <= handout.params.items()
        ran_handout = trial.params == handout.params or stopped_early
        with handout:
            try:
                if not ran_handout:
                    handout.fail(f"Optuna trial {trial.number} ran other parameters: {trial.params}")
                else:
                    self._tell(handout, trial, state, values)
            except Conflict as conflict:
                log.warning("trial %s: hpoweb no longer holds it for this worker: %s", trial.number, conflict)
        if not ran_handout:
            ran = copy.copy(trial)
            ran.state, ran.values = state, values
            HpowebCallback(self.client, self.study_id)(study, ran)

    def _tell(
        self, handout: Trial, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        for step, value in sorted(trial.intermediate_values.items()):
            handout.report(step, value)
        if state == TrialState.COMPLETE:
            handout.tell(values[0] if len(values) == 1 else self._by_metric(values))
        elif state == TrialState.PRUNED:
            handout.prune("pruned by Optuna's pruner")
        else:
            handout.fail(f"Optuna trial {trial.number} ended {state.name}")

    def _by_metric(self, values: Sequence[float]) -> dict[str, float]:
        """Several directions' values under the hpoweb study's objectives, in their order."""
        if self._metrics is None:
            study = self.client.call(f"/api/studies/{self.study_id}/", method="GET")[1]
            self._metrics = [o["metric"] for o in study["objectives"] or []]
        if len(self._metrics) != len(values):
            raise ValueError(
                f"Optuna's {len(values)} values do not match hpoweb study {self.study_id}'s "
                f"objectives {self._metrics}"
            )
        return dict(zip(self._metrics, values, strict=True))

    def _ask(self) -> Trial:
        while True:
            handout = self.client.ask(self.study_id)
            if handout is not None:
                return handout
            state = self.client.study_state(self.study_id)
            if state not in ("running", "paused"):
                raise RuntimeError(f"hpoweb study {self.study_id} is {state}: it hands out no more trials")
            time.sleep(self.poll_s)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone().isoformat()
