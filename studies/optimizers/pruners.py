"""Early stopping of hopeless trials from their learning curves: median stopping, ASHA and Hyperband.

A pruner is a pure function of the reported curves, so a worker, the REST report endpoint and a test
all get the same answer from the same data. Call ``should_prune`` after every reported point:

    pruner = get_pruner("asha", min_resource=1, reduction_factor=3)
    decision = pruner.should_prune(trial_number, curve, others, direction="minimize")

``curve`` is this trial's list of ``(step, value)``; ``others`` maps the trial number of every other
trial of the study (complete, pruned and running) to its curve. Steps are the resource (epochs, say);
a step reported twice keeps its last value. A value that is NaN or infinite counts as the worst.

ASHA and Hyperband decide at a rung once, on the report that first reaches it (the first step at or
beyond the rung's resource), against the values that other trials recorded there, as ASHA promotes
asynchronously without revisiting a decision. Between rungs a trial always continues.

``comparison_steps(trial_number, curve)`` names the steps a report is judged at: of each other curve,
``should_prune`` reads only the first point at or after each of them, so a caller that holds many
long curves (a database) may pass just those points and get the same decision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .settings import INT32_MAX, Setting, SettingError, parse_settings

Curve = Sequence[tuple[float, float]]

# The golden ratio's fractional part spreads consecutive trial numbers evenly over the brackets.
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0

PRUNERS: dict[str, tuple[Setting, ...]] = {
    "none": (),
    "median": (
        Setting(
            "n_startup_trials",
            "int",
            5,
            "Never prune at a step until at least this many other trials have reported it.",
            min=1,
            max=INT32_MAX,
        ),
        Setting(
            "n_warmup_steps",
            "int",
            0,
            "Never prune a trial before it has reported a step beyond this one.",
            min=0,
            max=INT32_MAX,
        ),
    ),
    "asha": (
        Setting(
            "min_resource",
            "int",
            1,
            "Step of the first rung; later rungs are at min_resource * reduction_factor ** k.",
            min=1,
            max=INT32_MAX,
        ),
        Setting(
            "reduction_factor",
            "int",
            3,
            "Only the top 1/reduction_factor of the trials at a rung continue to the next one.",
            min=2,
            max=INT32_MAX,
        ),
        Setting(
            "bootstrap_count",
            "int",
            0,
            "Never prune at a rung until this many trials (this one included) have reached it.",
            min=0,
            max=INT32_MAX,
        ),
    ),
    "hyperband": (
        Setting(
            "min_resource",
            "int",
            1,
            "Step of the first rung of the most aggressive bracket.",
            min=1,
            max=INT32_MAX,
        ),
        Setting(
            "max_resource",
            "int",
            81,
            "Step at which a trial is complete (epochs, say); sets the number of brackets.",
            min=1,
            max=INT32_MAX,
        ),
        Setting(
            "reduction_factor",
            "int",
            3,
            "Only the top 1/reduction_factor of a bracket's trials at a rung continue.",
            min=2,
            max=INT32_MAX,
        ),
    ),
}


@dataclass(frozen=True)
class Decision:
    """Whether to stop the trial now, and the rule that decided, in words for the trial page."""

    prune: bool
    reason: str


def get_pruner(name: str, **settings: object) -> NoPruner | MedianPruner | AshaPruner | HyperbandPruner:
    """Build the pruner ``name``; ValueError for an unknown pruner, SettingError for a bad setting."""
    if name not in PRUNERS:
        raise ValueError(f"unknown pruner {name!r}; choose one of {', '.join(PRUNERS)}")
    values = parse_settings(f"pruner {name!r}", PRUNERS[name], settings)
    pruner_class = {
        "none": NoPruner,
        "median": MedianPruner,
        "asha": AshaPruner,
        "hyperband": HyperbandPruner,
    }[name]
    return pruner_class(**values)


def _clean(curve: Curve) -> list[tuple[float, float]]:
    """Sorted by step, last report per step kept, non-finite values as NaN."""
    by_step = {}
    for step, value in curve:
        value = float(value) if value is not None else math.nan
        by_step[float(step)] = value if math.isfinite(value) else math.nan
    return sorted(by_step.items())


def _check_direction(direction: str) -> None:
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")


def _loss(value: float, direction: str) -> float:
    """The value turned into something to minimize, NaN (failed) as the worst."""
    if math.isnan(value):
        return math.inf
    return value if direction == "minimize" else -value


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _value_at_rung(curve: list[tuple[float, float]], rung: float) -> float | None:
    """The first value reported at or beyond the rung's step, None when the curve has not reached it."""
    for step, value in curve:
        if step >= rung:
            return value
    return None


@dataclass(frozen=True)
class NoPruner:
    """Lets every trial run to the end."""

    def comparison_steps(self, trial_number: int, curve: Curve) -> list[float]:
        return []

    def should_prune(
        self, trial_number: int, curve: Curve, others: Mapping[int, Curve], direction: str
    ) -> Decision:
        _check_direction(direction)
        return Decision(False, "Pruning is off for this study.")


@dataclass(frozen=True)
class MedianPruner:
    """Median stopping rule (Golovin et al. 2017, Google Vizier): stop a trial whose best value so
    far is worse than the median of the other trials' values at the step it has just reported."""

    n_startup_trials: int = 5
    n_warmup_steps: int = 0

    def comparison_steps(self, trial_number: int, curve: Curve) -> list[float]:
        points = _clean(curve)
        if not points or points[-1][0] <= self.n_warmup_steps:
            return []
        return [points[-1][0]]

    def should_prune(
        self, trial_number: int, curve: Curve, others: Mapping[int, Curve], direction: str
    ) -> Decision:
        _check_direction(direction)
        points = _clean(curve)
        if not points:
            return Decision(False, "The trial has not reported a value yet.")
        step, latest = points[-1]
        if math.isnan(latest):
            return Decision(True, f"Step {step:g}: the reported value is not a finite number.")
        if step <= self.n_warmup_steps:
            return Decision(False, f"Step {step:g} is within the {self.n_warmup_steps} warm-up steps.")
        at_step = [
            value
            for other in others.values()
            for other_step, value in _clean(other)
            if other_step == step and not math.isnan(value)
        ]
        if len(at_step) < self.n_startup_trials:
            return Decision(
                False,
                f"Step {step:g}: only {len(at_step)} other trials have reported it, "
                f"fewer than the {self.n_startup_trials} needed to compare.",
            )
        losses = sorted(_loss(v, direction) for v in at_step)
        half = len(losses) // 2
        median_loss = losses[half] if len(losses) % 2 else (losses[half - 1] + losses[half]) / 2
        median = median_loss if direction == "minimize" else -median_loss
        best = min((_loss(v, direction) for _, v in points), default=math.inf)
        best_value = best if direction == "minimize" else -best
        better = "lower" if direction == "minimize" else "higher"
        if best > median_loss:
            return Decision(
                True,
                f"Median rule at step {step:g}: the best value so far, {_fmt(best_value)}, is worse than "
                f"the median {_fmt(median)} of {len(at_step)} other trials at that step.",
            )
        return Decision(
            False,
            f"Median rule at step {step:g}: the best value so far, {_fmt(best_value)}, is as good as or "
            f"{better} than the median {_fmt(median)} of {len(at_step)} other trials.",
        )


def _rung_decision(
    label: str,
    rungs: list[float],
    curve: list[tuple[float, float]],
    others: list[list[tuple[float, float]]],
    direction: str,
    reduction_factor: int,
    bootstrap_count: int,
) -> Decision:
    """Successive halving at the rungs this report has just crossed (usually none or one)."""
    if not curve:
        return Decision(False, "The trial has not reported a value yet.")
    last_step, value = curve[-1]
    crossed = _crossed(rungs, curve)
    if not crossed:
        following = next((rung for rung in rungs if rung > last_step), None)
        where = f"the next rung is at step {following:g}" if following is not None else "no rung is left"
        return Decision(False, f"{label}: step {last_step:g} is between rungs; {where}.")
    if math.isnan(value):
        return Decision(True, f"{label}: step {last_step:g} reported a value that is not a finite number.")
    own_loss = _loss(value, direction)
    for k, rung in crossed:
        rung_values = [v for v in (_value_at_rung(other, rung) for other in others) if v is not None]
        losses = sorted([own_loss, *(_loss(v, direction) for v in rung_values)])
        n = len(losses)
        if n < bootstrap_count:
            return Decision(
                False,
                f"{label} rung {k} (step {rung:g}): only {n} trials have reached it, "
                f"fewer than the {bootstrap_count} needed to compare.",
            )
        keep = max(1, n // reduction_factor)
        cutoff_loss = losses[keep - 1]
        cutoff = cutoff_loss if direction == "minimize" else -cutoff_loss
        if own_loss > cutoff_loss:
            return Decision(
                True,
                f"{label} rung {k} (step {rung:g}): {_fmt(value)} is not in the top 1/{reduction_factor} "
                f"of {n} trials (cut-off {_fmt(cutoff)}).",
            )
    k, rung = crossed[-1]
    return Decision(
        False,
        f"{label} rung {k} (step {rung:g}): {_fmt(value)} is in the top 1/{reduction_factor} "
        f"of {n} trials (cut-off {_fmt(cutoff)}); the trial continues.",
    )


def _crossed(rungs: list[float], curve: list[tuple[float, float]]) -> list[tuple[int, float]]:
    """(index, step) of the rungs that the curve's last report reached and the one before did not."""
    if not curve:
        return []
    previous_step = curve[-2][0] if len(curve) > 1 else -math.inf
    return [(k, rung) for k, rung in enumerate(rungs) if previous_step < rung <= curve[-1][0]]


def _rungs(first: float, reduction_factor: int, last: float) -> list[float]:
    """Rung steps first * eta ** k up to and including ``last``."""
    rungs = []
    rung = float(first)
    while rung <= last:
        rungs.append(rung)
        rung *= reduction_factor
    return rungs


@dataclass(frozen=True)
class AshaPruner:
    """Asynchronous successive halving (Li et al. 2020): rungs at min_resource * eta ** k; a trial
    reaching a rung continues only if it is in the top 1/eta of the values recorded there so far.

    The default eta is 3, the value of the Hyperband and ASHA papers' analyses, rather than Optuna's 4:
    it keeps a third of the trials at each rung, so a slow starter has a better chance, at the cost
    of a little more compute.
    """

    min_resource: int = 1
    reduction_factor: int = 3
    bootstrap_count: int = 0

    def _rungs_up_to(self, points: list[tuple[float, float]]) -> list[float]:
        """The rungs up to a step beyond the curve's last one (there is no last rung)."""
        last_step = points[-1][0] if points else 0.0
        return _rungs(self.min_resource, self.reduction_factor, max(last_step, 1.0) * self.reduction_factor)

    def comparison_steps(self, trial_number: int, curve: Curve) -> list[float]:
        points = _clean(curve)
        return [rung for _k, rung in _crossed(self._rungs_up_to(points), points)]

    def should_prune(
        self, trial_number: int, curve: Curve, others: Mapping[int, Curve], direction: str
    ) -> Decision:
        _check_direction(direction)
        points = _clean(curve)
        return _rung_decision(
            "ASHA",
            self._rungs_up_to(points),
            points,
            [_clean(other) for other in others.values()],
            direction,
            self.reduction_factor,
            self.bootstrap_count,
        )


@dataclass(frozen=True)
class HyperbandPruner:
    """Hyperband (Li et al. 2017) run asynchronously: brackets of successive halving whose first rungs
    are min_resource * eta ** b, for b = 0 .. floor(log_eta(max_resource / min_resource)).

    A trial's bracket is a function of its trial number alone, so every caller agrees on it; bracket b
    receives a share of the trials proportional to the number of configurations classic Hyperband
    starts in it (most in the aggressive b = 0), and trials only compete with trials of their bracket.
    """

    min_resource: int = 1
    max_resource: int = 81
    reduction_factor: int = 3

    def __post_init__(self) -> None:
        if self.max_resource < self.min_resource:
            raise SettingError(
                "max_resource", "pruner 'hyperband': max_resource must be at least min_resource"
            )

    @property
    def n_brackets(self) -> int:
        """Number of brackets; the integer loop avoids the float error of a logarithm."""
        count, resource = 1, self.min_resource * self.reduction_factor
        while resource <= self.max_resource:
            count, resource = count + 1, resource * self.reduction_factor
        return count

    def bracket(self, trial_number: int) -> int:
        """The bracket of a trial, by a golden-ratio sequence over the trial numbers so that
        consecutive trials spread over the brackets in their Hyperband proportions."""
        s_max = self.n_brackets - 1
        weights = [
            math.ceil((s_max + 1) * self.reduction_factor ** (s_max - b) / (s_max - b + 1))
            for b in range(s_max + 1)
        ]
        position = ((trial_number * _GOLDEN) % 1.0) * sum(weights)
        for b, weight in enumerate(weights):
            if position < weight:
                return b
            position -= weight
        return s_max

    def _bracket_rungs(self, b: int) -> list[float]:
        # No rung at max_resource itself: a trial that gets there is complete anyway.
        return _rungs(
            self.min_resource * self.reduction_factor**b, self.reduction_factor, self.max_resource - 1
        )

    def comparison_steps(self, trial_number: int, curve: Curve) -> list[float]:
        rungs = self._bracket_rungs(self.bracket(trial_number))
        return [rung for _k, rung in _crossed(rungs, _clean(curve))]

    def should_prune(
        self, trial_number: int, curve: Curve, others: Mapping[int, Curve], direction: str
    ) -> Decision:
        _check_direction(direction)
        b = self.bracket(trial_number)
        first = self.min_resource * self.reduction_factor**b
        rungs = self._bracket_rungs(b)
        peers = [_clean(curve_) for number, curve_ in others.items() if self.bracket(number) == b]
        return _rung_decision(
            f"Hyperband bracket {b} (first rung at step {first:g})",
            rungs,
            _clean(curve),
            peers,
            direction,
            self.reduction_factor,
            0,
        )
