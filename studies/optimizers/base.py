"""What every optimizer shares: settings parsing, history cleaning and the suggest contract."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import pareto
from .cells import free_points
from .conditions import choice_key
from .settings import Setting, parse_settings
from .space import SearchSpace

_FALLBACK_DRAWS = 64  # uniform draws per missing point before enumerating a discrete space
_FALLBACK_STREAM = 7  # keeps the fallback's random stream apart from the optimizers' own

History = Sequence[tuple[Mapping[str, Any], Any]]  # (params, value or {metric: value} or None)
Pending = Sequence[Mapping[str, Any]]


class SearchExhausted(Exception):
    """The optimizer cannot return any new point (for example every grid cell is used)."""


def clean_value(value: Any) -> float:
    """A history value as a float, NaN for a failed trial (None, NaN, +-inf or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


@dataclass(frozen=True)
class Recommendation:
    """The trial an optimizer would deploy: its position in the history and why, in words."""

    index: int
    why: str


class Optimizer:
    """Stateless: everything a suggestion depends on is the constructor's arguments and `suggest`'s."""

    name: ClassVar[str]
    SETTINGS: ClassVar[tuple[Setting, ...]] = ()
    MULTI_OBJECTIVE: ClassVar[bool] = False  # whether it optimizes several objectives at once

    def __init__(
        self,
        space: SearchSpace,
        direction: str = "minimize",
        seed: int = 0,
        *,
        objectives: Sequence[Mapping[str, Any]] = (),
        constraints: Sequence[Mapping[str, Any]] = (),
        **settings: Any,
    ) -> None:
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.space = space
        self.direction = direction
        self.seed = int(seed)
        self.settings = parse_settings(f"optimizer {self.name!r}", self.SETTINGS, settings)
        # With objectives, history values are `{metric: value}` mappings (see `pareto.objective_losses`).
        self.objectives = [dict(o) for o in objectives]
        self.constraints = [dict(c) for c in constraints]
        if len(self.objectives) > 1 and not self.MULTI_OBJECTIVE:
            raise ValueError(f"optimizer {self.name!r} optimizes one objective; this study has several")

    @property
    def reads_history(self) -> bool:
        """Whether a suggestion depends on the history and the pending points beyond how many they
        are. When it does not, a caller may pass neither, only `made`, and gets the same points: reading
        a study's trials was most of a millisecond trial's scheduling step."""
        return True

    def suggest(
        self, history: History = (), pending: Pending = (), n: int = 1, *, made: int | None = None
    ) -> list[dict[str, Any]]:
        """At most n new points; raises SearchExhausted when there is none at all."""
        return [params for params, _ in self.suggest_with_info(history, pending, n, made=made)]

    def suggest_with_info(
        self, history: History = (), pending: Pending = (), n: int = 1, *, made: int | None = None
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Like `suggest`, each point with JSON-serializable facts about why it was chosen.

        No point equals one of the history or a pending one (by `SearchSpace.point_keys`) while the
        space has unused points: what the algorithm proposes again is replaced by `_unused_points`.
        `made` is how many points were proposed before this call, the history's and pending ones when
        not given; random streams are indexed by it, so a caller that passes fewer points says it.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        history, pending = list(history), list(pending)
        if made is None:
            made = len(history) + len(pending)
        elif isinstance(made, bool) or not isinstance(made, int) or made < 0:
            raise ValueError(f"made must be a non-negative integer, got {made!r}")
        try:
            proposed, exhausted = self._suggest(history, pending, n, made), None
        except SearchExhausted as error:
            proposed, exhausted = [], error
        used = [params for params, _ in history] + pending
        out = self._new_only(proposed, set(self.space.point_keys(used)))
        if len(out) < n:
            more = self._unused_points(used + [params for params, _ in out], n - len(out))
            out += [(params, {"phase": "fallback"}) for params in more]
        if not out:
            raise exhausted or SearchExhausted("every point of the space is already evaluated or pending")
        return [(params, self._with_branch(params, info, history)) for params, info in out]

    def _with_branch(
        self, params: Mapping[str, Any], info: dict[str, Any], history: History
    ) -> dict[str, Any]:
        """In a conditional space, the info names the branch (the values of the point's parents) and,
        per parent, what the finished trials said of that value: "branch_evidence" {parent: {"took":
        trials with this value, "held": trials with the parent, "best": their best value, "best_other":
        the best with another value}}, in the objective's units (None where no trial has a value)."""
        parents = self.space.parent_names
        if not parents:
            return info
        branch = {name: params[name] for name in self.space.names if name in parents & set(params)}
        losses = self.losses(history)
        direction = self.objectives[0]["direction"] if self.objectives else self.direction
        sign = -1.0 if direction == "maximize" else 1.0
        evidence = {}
        for name, value in branch.items():
            held = [i for i, (p, _) in enumerate(history) if name in p]
            took = [i for i in held if choice_key(history[i][0][name]) == choice_key(value)]
            other = sorted(set(held) - set(took))
            evidence[name] = {
                "took": len(took),
                "held": len(held),
                "best": _best_value(losses[took], sign),
                "best_other": _best_value(losses[other], sign),
            }
        return {**info, "branch": branch, "branch_evidence": evidence}

    def _new_only(
        self, proposed: list[tuple[dict[str, Any], dict[str, Any]]], taken: set[tuple]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        out = []
        for (params, info), key in zip(
            proposed, self.space.point_keys([p for p, _ in proposed]), strict=True
        ):
            if key not in taken:
                taken.add(key)
                out.append((params, info))
        return out

    def _unused_points(self, used: list[Mapping[str, Any]], n: int) -> list[dict[str, Any]]:
        """Up to n points of the space not among `used`: uniform draws, which suffice when a parameter
        is continuous, then the first free cells of a fully discrete space in a seeded order."""
        taken = set(self.space.point_keys(used))
        rng = np.random.default_rng([self.seed, len(used), _FALLBACK_STREAM])
        draws = self.space.decode(rng.random((_FALLBACK_DRAWS * n, len(self.space))))
        out = self._new_only([(params, {}) for params in draws], taken)[:n]
        points = [params for params, _ in out]
        if len(points) < n and all(p.n_levels for p in self.space.parameters):
            points += free_points(self.space, used + points, n - len(points), self.seed)
        return points

    def _suggest(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        raise NotImplementedError

    def recommend(self, history: History) -> Recommendation | None:
        """The trial to deploy after `history`; None when no trial has a finite value.

        Without a model of the noise the best guess is the lowest observed loss; "gp" overrides this.
        """
        losses = self.losses(history)
        if not np.isfinite(losses).any():
            return None
        return Recommendation(int(np.nanargmin(losses)), "the best observed value")

    def objective_losses(self, history: History) -> tuple[np.ndarray, np.ndarray]:
        """(n, k) losses of every objective and (n,) constraint violations (NaN for a failed trial);
        a study defined by one metric gives its losses and no violation."""
        if not self.objectives:
            return self.losses(history)[:, None], np.zeros(len(history))
        results = [value for _, value in history]
        return pareto.objective_losses(self.objectives, results), pareto.violations(self.constraints, results)

    def losses(self, history: History) -> np.ndarray:
        """History values as losses (lower is better), NaN where the trial failed or, under
        constraints, was infeasible (treated as bad as a failure)."""
        if self.objectives:
            results = [v for _, v in history]
            losses = pareto.objective_losses(self.objectives[:1], results)[:, 0]
            return np.where(pareto.violations(self.constraints, results) > 0, np.nan, losses)
        sign = -1.0 if self.direction == "maximize" else 1.0
        return np.array([sign * clean_value(v) for _, v in history], dtype=float)


def _best_value(losses: np.ndarray, sign: float) -> float | None:
    """The best of some losses in the objective's units; None when none is finite."""
    finite = losses[np.isfinite(losses)]
    return float(sign * finite.min()) if len(finite) else None
