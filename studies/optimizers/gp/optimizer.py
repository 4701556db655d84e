"""The "gp" optimizer: Gaussian-process Bayesian optimization, stateless between calls.

Start-up: the centre of the space, then a scrambled Sobol sequence (seeded by the study seed, indexed
by trial number so successive calls continue it). Then each suggestion maximizes an acquisition of the
GP fitted to the history; running (pending) trials and earlier members of the same batch enter as
kriging-believer pseudo-observations (believed no better than the incumbent), so a batch spreads out
and never repeats a running point.

Conditional spaces: an inactive parameter is imputed at the centre of its dimension (`INACTIVE_UNIT`),
in the history's encoding and in every candidate the acquisition scores (`on_active_dimensions`), so
two points of one branch are compared on that branch's parameters only, and a point of another branch
differs from them by a bounded amount in each dimension it lacks. This is an embedding of the points
in the unit cube, so the Matern kernel stays positive definite. The literal alternative, a kernel that
drops a dimension for a pair where either point lacks it, is not: for points a (x = 0), b (inactive)
and c (x = 1, far from a) the one-dimensional kernel matrix [[1, 1, 0], [1, 1, 1], [0, 1, 1]] has
determinant -1, and a GP fitted with it can give negative variances. Without imputing the candidates,
the acquisition would also score a point's unused coordinates, which change nothing in the decoded
point. Measured on jenatton (docs/benchmarks.md), the imputed GP finds the optimum's branch and leaf.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base import History, Optimizer, Recommendation, SearchExhausted
from ..random_search import sobol_points
from ..scalarize import chebyshev_losses, random_weights
from ..settings import Setting
from ..space import SearchSpace, unit_keys
from .acq_optimizer import AcquisitionMaximizer
from .acquisition import ACQUISITIONS, acquisition
from .feasibility import FeasibilityModel
from .hypervolume_model import HypervolumeModel
from .incumbent import posterior_best
from .model import SurrogateModel, build_surrogate, single_threaded_blas
from .regressor import GaussianProcess

_SOBOL_LOOKAHEAD = 256
MAX_AUTO_STARTUP = 10


def acquisition_functions(gp: GaussianProcess, best: float, kind: str, xi: float, kappa: float):
    """(value, value_and_grad) closures of an acquisition for `AcquisitionMaximizer`."""

    def value(X: np.ndarray) -> np.ndarray:
        mean, var = gp.predict(X)
        return acquisition(kind, mean, np.sqrt(var), best, xi, kappa)[0]

    def value_and_grad(X: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, var, dmean, dvar = gp.predict_with_grad(X, dims)
        std = np.sqrt(var)
        v, d_mean, d_std = acquisition(kind, mean, std, best, xi, kappa)
        return v, d_mean[:, None] * dmean + (d_std / (2.0 * std))[:, None] * dvar

    return value, value_and_grad


def on_active_dimensions(space: SearchSpace, value, value_and_grad):
    """The acquisition closures scored at each candidate's canonical encoding (inactive dimensions at
    `INACTIVE_UNIT`, their gradient zero), so coordinates a point does not use cannot raise its score."""
    if not space.is_conditional:
        return value, value_and_grad

    def imputed_value(X: np.ndarray) -> np.ndarray:
        return value(space.impute_inactive(X))

    def imputed_value_and_grad(X: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v, g = value_and_grad(space.impute_inactive(X), dims)
        return v, g * space.unit_active(X)[:, dims]

    return imputed_value, imputed_value_and_grad


class GPOptimizer(Optimizer):
    name = "gp"
    MULTI_OBJECTIVE = True  # with several objectives: EHVI (hypervolume_model.py) or ParEGO
    SETTINGS = (
        Setting(
            "multi_objective",
            "choice",
            "auto",
            "With several objectives: ehvi, the expected hypervolume improvement of one GP per "
            "objective (as log EHVI); parego, log EI of one random Chebyshev scalarisation per "
            "suggestion; auto: ehvi for two objectives, parego for three or more.",
            choices=("auto", "ehvi", "parego"),
        ),
        Setting(
            "acquisition",
            "choice",
            "auto",
            "ei: expected improvement (as log EI); pi: probability of improvement; "
            "ucb: confidence bound with kappa; auto: log EI.",
            choices=("auto", *ACQUISITIONS),
        ),
        Setting(
            "xi",
            "float",
            None,
            "Improvement margin for ei/pi, in standard deviations of the (warped) objective; "
            "blank: 0 for ei (the best measured) and 0.02 for pi, which explores instead of "
            "stalling beside the best point as pi with 0 does.",
            min=0.0,
            max=5.0,
        ),
        Setting(
            "kappa",
            "float",
            2.0,
            "Exploration weight of ucb: the bound is mean - kappa * std (minimizing).",
            min=0.0,
            max=20.0,
        ),
        Setting(
            "n_startup",
            "int",
            0,
            "Quasi-random trials (centre, then Sobol) before the model is used; 0: d + 1, at least 5 "
            "and at most 10.",
            min=0,
            max=1000,
        ),
    )

    @property
    def n_startup(self) -> int:
        """d + 1 quasi-random trials, at least 5 and at most `MAX_AUTO_STARTUP`.

        In 20 to 50 dimensions where a few matter, d + 1 spent half of a 100-trial budget before the
        first model (docs/benchmarks.md, High dimensions); the dimension-scaled lengthscale prior keeps
        the fit well posed on fewer points than parameters, as in Optuna's GPSampler and BoTorch's SAASBO
        tutorial (10 start-up points in 30 dimensions). Spaces of up to 9 parameters are unchanged.
        """
        return self.settings["n_startup"] or min(max(5, len(self.space) + 1), MAX_AUTO_STARTUP)

    @property
    def acquisition_kind(self) -> str:
        kind = self.settings["acquisition"]
        return "ei" if kind == "auto" else kind

    @property
    def xi(self) -> float:
        """The improvement margin: the setting, or the acquisition's default when it is blank."""
        xi = self.settings["xi"]
        return ACQUISITIONS[self.acquisition_kind].default_xi if xi is None else xi

    def recommend(self, history: History) -> Recommendation | None:
        """The trial with the best posterior mean when the model finds the objective noisy."""
        history = list(history)
        with single_threaded_blas():
            model = build_surrogate(
                self.space, history, self.direction, np.random.default_rng([self.seed, len(history)])
            )
            if model is None:
                return None
            return posterior_best(model, -1.0 if self.direction == "maximize" else 1.0)

    def _suggest(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        with single_threaded_blas():
            return self._suggest_batch(history, pending, n, made)

    def _suggest_batch(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        space = self.space
        rng = np.random.default_rng([self.seed, made])
        X_history = space.encode([p for p, _ in history]).reshape(-1, len(space))
        X_pending = space.encode(pending).reshape(-1, len(space))
        excluded = set(unit_keys(np.vstack([X_history, X_pending])))
        batch_X: list[np.ndarray] = []
        out: list[tuple[dict[str, Any], dict[str, Any]]] = []
        model, weights, feasibility = None, None, None
        if made + n > self.n_startup:
            results = [v for _, v in history]
            if self._uses_ehvi:
                model = HypervolumeModel.build(
                    space, X_history, results, self.objectives, self.constraints, rng
                )
            else:
                history, weights = self._scalarised(history, rng)
                model = build_surrogate(space, history, self._model_direction, rng, X_history)
            if model is not None and self.constraints:
                feasibility = FeasibilityModel(space, X_history, results, self.constraints, rng)
        believer, polished = None, None
        for b in range(n):
            if model is None or made + b < self.n_startup:
                x, info = self._startup_point(made + b, excluded), {"phase": "startup"}
            elif isinstance(model, HypervolumeModel):
                x, info = self._hypervolume_point(model, X_pending, batch_X, excluded, rng, feasibility)
            else:
                if believer is None:  # the running trials believed; the floor computed only for them
                    believer = model.gp
                    if len(X_pending):
                        believer = believer.with_pseudo_observations(X_pending, model.incumbent_target())
                x, info, polished = self._model_point(model, believer, excluded, rng, feasibility, polished)
                if x is None:
                    break
                if b + 1 < n:  # the next member's model; believed at the model's own mean, floored
                    floor = model.incumbent_target()  # see _model_point
                    believer = believer.with_pseudo_observations(x[None, :], floor, model.gp)
                info["n_pending"] = len(X_pending) + len(batch_X)
                if weights is not None:
                    info = _scalarised_info(info, self.objectives, weights)
            if x is None:
                break
            excluded.add(unit_keys(x[None, :])[0])
            batch_X.append(x)
            out.append((space.decode(x[None, :])[0], info))
        if not out:
            raise SearchExhausted("every point of the space is already evaluated or running")
        return out

    @property
    def _uses_ehvi(self) -> bool:
        """EHVI, or with `auto` only for two objectives: with three or more, EHVI's value beyond the
        front's best in one objective is that gain times a (k - 1)-dimensional slab reaching to the
        reference point, so a GP that extrapolates below a floor many trials sit on (an objective
        that is 0 on a whole face of the space) outweighs every gap inside the front, and the
        suggestions pile up on that face; a random Chebyshev scalarisation aims at one part of the
        front at a time. Measured (docs/benchmarks.md, "Three objectives"): better than EHVI on DTLZ2
        and the held-out DTLZ5, worse on DTLZ7."""
        kind = self.settings["multi_objective"]
        if kind == "auto":
            kind = "ehvi" if len(self.objectives) == 2 else "parego"
        return len(self.objectives) > 1 and kind == "ehvi"

    def _hypervolume_point(
        self,
        model: HypervolumeModel,
        X_pending: np.ndarray,
        batch_X: list[np.ndarray],
        excluded: set,
        rng: np.random.Generator,
        feasibility: FeasibilityModel | None,
    ) -> tuple[np.ndarray | None, dict[str, Any]]:
        """The point of highest log EHVI (times the probability of feasibility), or of highest
        probability of feasibility while no trial is feasible."""
        gps = model.believing(np.vstack([X_pending, *batch_X]))
        if model.boxes is None:
            value, value_and_grad = feasibility.log_probability, feasibility.log_probability_with_grad
        else:
            value, value_and_grad = model.acquisition(gps)
            if feasibility is not None:
                value, value_and_grad = _times_feasibility(value, value_and_grad, feasibility, True)
        value, value_and_grad = on_active_dimensions(self.space, value, value_and_grad)
        feasible = feasibility.feasible if feasibility is not None else np.ones(len(model.losses), bool)
        found = AcquisitionMaximizer(self.space, value, value_and_grad, len(model.losses)).maximize(
            model.centres(feasible), excluded, rng
        )
        x, acq_value = found.point, found.value
        if x is None:
            return None, {}
        return x, {
            "phase": "model",
            "acquisition": "log_ehvi" if model.boxes is not None else "log_feasibility",
            "acquisition_value": _json_float(acq_value),
            **model.info(gps, x),
            "n_pending": len(X_pending) + len(batch_X),
            "n_observations": len(model.losses),
        }

    @property
    def _model_direction(self) -> str:
        """The model's target is a scalarisation (lower is better) when the study has objectives."""
        return "minimize" if self.objectives else self.direction

    def _scalarised(
        self, history: list[tuple[Mapping[str, Any], Any]], rng: np.random.Generator
    ) -> tuple[list[tuple[Mapping[str, Any], Any]], np.ndarray | None]:
        """The history with one loss per trial, and the weights drawn (None without objectives)."""
        if not self.objectives:
            return history, None
        weights = random_weights(len(self.objectives), rng)
        losses = chebyshev_losses(self.objectives, [v for _, v in history], weights)
        return [(params, loss) for (params, _), loss in zip(history, losses, strict=True)], weights

    def _startup_point(self, index: int, excluded: set) -> np.ndarray | None:
        """The centre for the first trial, Sobol point index - 1 after, skipping excluded points."""
        d = len(self.space)
        X = (
            self.space.snap_unit(np.vstack([np.full(d, 0.5), sobol_points(d, self.seed, 0, 1)]))
            if index == 0
            else self.space.snap_unit(sobol_points(d, self.seed, index - 1, _SOBOL_LOOKAHEAD))
        )
        for x, key in zip(X, unit_keys(X), strict=True):
            if key not in excluded:
                return x
        return None

    def _model_point(
        self,
        model: SurrogateModel,
        gp: GaussianProcess,
        excluded: set,
        rng: np.random.Generator,
        feasibility: FeasibilityModel | None = None,
        previous: np.ndarray | None = None,
    ) -> tuple[np.ndarray | None, dict[str, Any], np.ndarray]:
        """The acquisition's best point under `gp` (the model believing the running trials and the
        batch's earlier members), its info, and the points the search polished; `previous`, those of
        the batch's earlier member, makes this a later member's cheaper search (acq_optimizer.py).

        A running point is believed no better than the incumbent: believed at a posterior mean below
        it (an extrapolated trend at the box's edge), each next point slid a little further along the
        trend, and 16 points of a Branin batch piled up within 1e-3 of one another."""
        best = model.incumbent_target()
        kind = self.acquisition_kind
        if feasibility is not None:
            best = _feasible_incumbent(model, feasibility.feasible)
        value, value_and_grad = acquisition_functions(gp, best, kind, self.xi, self.settings["kappa"])
        if feasibility is not None:
            value, value_and_grad = _times_feasibility(
                value, value_and_grad, feasibility, math.isfinite(best)
            )
        value, value_and_grad = on_active_dimensions(self.space, value, value_and_grad)
        feasible = feasibility.feasible if feasibility is not None else None
        lengthscales = np.exp(model.gp.hyper.log_ls)
        maximizer = AcquisitionMaximizer(self.space, value, value_and_grad, len(model.losses), lengthscales)
        found = maximizer.maximize(_centres(model, feasible), excluded, rng, previous)
        x, acq_value = found.point, found.value
        if x is None:
            return None, {}, found.polished
        mean, var = gp.predict(x[None, :])
        loss_mean, loss_std = model.to_loss(mean, np.sqrt(var))
        sign = -1.0 if self._model_direction == "maximize" else 1.0
        finite = model.losses[np.isfinite(model.losses)]
        info = {
            "phase": "model",
            "acquisition": ACQUISITIONS[kind].info_name,
            "acquisition_value": _json_float(acq_value),
            "mean": _json_float(sign * loss_mean[0]),
            "std": _json_float(loss_std[0]),
            "incumbent": _json_float(sign * float(np.min(finite))),
            "n_observations": len(model.losses),
        }
        return x, info, found.polished


def _scalarised_info(info: dict[str, Any], objectives: list[dict], weights: np.ndarray) -> dict[str, Any]:
    """What a scalarised suggestion valued: the weights per objective, and the prediction kept apart
    (in scalarisation units, not comparable with the first objective's value the trial shows)."""
    scalarised = {key: info.pop(key) for key in ("mean", "std", "incumbent") if key in info}
    weights_by_metric = {o["metric"]: round(float(w), 4) for o, w in zip(objectives, weights, strict=True)}
    return {**info, "weights": weights_by_metric, "scalarised": scalarised}


def _centres(model: SurrogateModel, feasible: np.ndarray | None) -> np.ndarray:
    """Observed points to perturb for candidates, best first; under constraints the feasible ones first,
    as for EHVI (HypervolumeModel.centres). Ordered by loss alone, the centres were the infeasible points
    beyond the constraint with the lowest objective, where log P(feasible) is lowest, and the search
    settled there instead of beside the feasible incumbent (docs/benchmarks.md, "Why gramacy")."""
    targets = np.where(np.isfinite(model.losses), model.losses, np.inf)
    order = np.argsort(targets, kind="stable") if feasible is None else np.lexsort((targets, ~feasible))
    return model.X_obs[order]


def _feasible_incumbent(model: SurrogateModel, feasible: np.ndarray) -> float:
    """The best feasible target (warped units), +inf while no trial is feasible."""
    ok = feasible & np.isfinite(model.losses)
    return float(np.min(model.warp.forward(model.losses[ok]))) if ok.any() else math.inf


def _times_feasibility(value, value_and_grad, feasibility: FeasibilityModel, has_incumbent: bool):
    """The acquisition plus log P(feasible); only the latter while nothing feasible is known."""

    def constrained(X: np.ndarray) -> np.ndarray:
        log_pof = feasibility.log_probability(X)
        return value(X) + log_pof if has_incumbent else log_pof

    def constrained_with_grad(X: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_pof, grad = feasibility.log_probability_with_grad(X, dims)
        if not has_incumbent:
            return log_pof, grad
        v, g = value_and_grad(X, dims)
        return v + log_pof, g + grad

    return constrained, constrained_with_grad


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
