"""Pruner decisions on fixed learning curves, one rule at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studies.optimizers.pruners import PRUNERS, Decision, get_pruner


def flat(value, steps):
    return [(step, value) for step in steps]


def test_every_registered_pruner_builds_from_its_defaults():
    for name, schema in PRUNERS.items():
        pruner = get_pruner(name, **{setting.name: setting.default for setting in schema})
        decision = pruner.should_prune(0, [(1, 0.5)], {}, "minimize")
        assert isinstance(decision, Decision)
        assert decision.reason


def test_bad_settings_and_directions_are_value_errors():
    with pytest.raises(ValueError):
        get_pruner("nope")
    with pytest.raises(ValueError):
        get_pruner("asha", eta=3)
    with pytest.raises(ValueError):
        get_pruner("asha", reduction_factor=1)
    with pytest.raises(ValueError):
        get_pruner("asha", reduction_factor=2.5)
    with pytest.raises(ValueError):
        get_pruner("hyperband", min_resource=10, max_resource=5)
    with pytest.raises(ValueError):
        get_pruner("median").should_prune(0, [(1, 0.5)], {}, "lower")


def test_none_never_prunes():
    assert not get_pruner("none").should_prune(3, [(1, math.nan)], {}, "minimize").prune


class TestMedian:
    others = {i: flat(v, range(1, 6)) for i, v in enumerate([0.1, 0.2, 0.3, 0.4, 0.5])}

    def test_it_prunes_a_trial_worse_than_the_median_at_its_step(self):
        decision = get_pruner("median").should_prune(9, [(1, 0.9), (2, 0.35)], self.others, "minimize")
        assert decision.prune
        assert "step 2" in decision.reason and "median 0.3" in decision.reason

    def test_it_keeps_a_trial_whose_best_so_far_beats_the_median(self):
        # The latest value is bad, but the best so far (0.25) is better than the median 0.3.
        decision = get_pruner("median").should_prune(9, [(1, 0.25), (2, 0.6)], self.others, "minimize")
        assert not decision.prune

    def test_maximize_flips_the_comparison(self):
        pruner = get_pruner("median")
        assert not pruner.should_prune(9, [(2, 0.35)], self.others, "maximize").prune
        assert pruner.should_prune(9, [(2, 0.25)], self.others, "maximize").prune

    def test_warmup_and_startup_protect_early_decisions(self):
        bad = [(1, 0.9), (2, 0.9)]
        assert not get_pruner("median", n_warmup_steps=2).should_prune(9, bad, self.others, "minimize").prune
        decision = get_pruner("median", n_startup_trials=6).should_prune(9, bad, self.others, "minimize")
        assert not decision.prune and "only 5 other trials" in decision.reason

    def test_only_trials_that_reported_the_same_step_count(self):
        others = {0: [(1, 0.1)], 1: [(1, 0.2)], 2: [(3, 0.9)]}
        decision = get_pruner("median", n_startup_trials=3).should_prune(9, [(1, 0.5)], others, "minimize")
        assert not decision.prune and "only 2 other trials" in decision.reason

    def test_a_non_finite_value_is_pruned(self):
        assert get_pruner("median").should_prune(9, [(1, 0.1), (2, math.inf)], self.others, "minimize").prune


class TestAsha:
    """Rungs at 1, 3, 9, 27 with min_resource=1 and reduction_factor=3."""

    def rung_values(self, values, step):
        return {i: [(s, v) for s in (1, 2, 3, 5, 9) if s <= step] for i, v in enumerate(values)}

    def test_it_prunes_outside_the_top_third_at_a_rung_and_names_it(self):
        others = self.rung_values([0.1, 0.2, 0.3, 0.4, 0.5], 9)
        curve = [(1, 0.2), (2, 0.2), (3, 0.2), (5, 0.2), (9, 0.41)]
        decision = get_pruner("asha").should_prune(7, curve, others, "minimize")
        assert decision.prune
        # Six trials at the rung, the top 6 // 3 = 2 continue: cut-off 0.2.
        assert (
            decision.reason == "ASHA rung 2 (step 9): 0.41 is not in the top 1/3 of 6 trials (cut-off 0.2)."
        )

    def test_it_keeps_a_trial_inside_the_top_third(self):
        others = self.rung_values([0.1, 0.2, 0.3, 0.4, 0.5], 9)
        decision = get_pruner("asha").should_prune(7, [(1, 0.2), (3, 0.2), (9, 0.15)], others, "minimize")
        assert not decision.prune and "rung 2" in decision.reason

    def test_it_decides_only_on_the_report_that_reaches_a_rung(self):
        others = self.rung_values([0.1, 0.2, 0.3, 0.4, 0.5], 9)
        # Step 5 is between rungs 3 and 9: no decision, however bad the value.
        decision = get_pruner("asha").should_prune(7, [(1, 0.2), (3, 0.2), (5, 9.9)], others, "minimize")
        assert not decision.prune and "next rung is at step 9" in decision.reason

    def test_a_report_that_jumps_rungs_is_judged_at_each_crossed_rung(self):
        others = {i: [(1, v), (3, v)] for i, v in enumerate([0.1, 0.2, 0.3, 0.4, 0.5])}
        decision = get_pruner("asha").should_prune(7, [(1, 0.15), (4, 0.35)], others, "minimize")
        assert decision.prune and "rung 1 (step 3)" in decision.reason

    def test_the_first_trial_at_a_rung_continues_and_bootstrap_count_waits(self):
        assert not get_pruner("asha").should_prune(0, [(1, 5.0)], {}, "minimize").prune
        others = {0: [(1, 0.1)]}
        assert get_pruner("asha").should_prune(1, [(1, 5.0)], others, "minimize").prune
        assert not get_pruner("asha", bootstrap_count=3).should_prune(1, [(1, 5.0)], others, "minimize").prune

    def test_maximize_and_reduction_factor(self):
        others = {i: [(2, v)] for i, v in enumerate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])}
        pruner = get_pruner("asha", min_resource=2, reduction_factor=4)
        # Eight trials at rung 0 (step 2), top 2 continue; maximizing, the cut-off is 0.6.
        assert not pruner.should_prune(9, [(2, 0.65)], others, "maximize").prune
        decision = pruner.should_prune(9, [(2, 0.55)], others, "maximize")
        assert decision.prune and "cut-off 0.6" in decision.reason

    def test_failed_values_count_as_worst_at_a_rung(self):
        others = {i: [(1, math.nan)] for i in range(5)}
        assert not get_pruner("asha").should_prune(9, [(1, 3.0)], others, "minimize").prune
        assert get_pruner("asha").should_prune(9, [(1, math.nan)], {}, "minimize").prune


class TestHyperband:
    def test_brackets_are_deterministic_and_spread_in_hyperband_proportions(self):
        pruner = get_pruner("hyperband", min_resource=1, max_resource=81, reduction_factor=3)
        assert pruner.n_brackets == 5
        brackets = [pruner.bracket(n) for n in range(1430)]
        assert brackets == [pruner.bracket(n) for n in range(1430)]
        counts = [brackets.count(b) for b in range(5)]
        # Classic Hyperband starts 81, 34, 15, 8 and 5 configurations in its five brackets.
        assert counts == pytest.approx([810, 340, 150, 80, 50], abs=15)
        assert len(set(brackets[:5])) >= 3

    def test_trials_compete_only_within_their_bracket(self):
        pruner = get_pruner("hyperband", min_resource=1, max_resource=27, reduction_factor=3)
        same = [n for n in range(100) if pruner.bracket(n) == 0]
        other = [n for n in range(100) if pruner.bracket(n) != 0]
        me, peers = same[0], same[1:4]
        curve = [(1, 0.5)]
        strong_strangers = {n: [(1, 0.01)] for n in other[:10]}
        assert not pruner.should_prune(me, curve, strong_strangers, "minimize").prune
        strong_peers = {n: [(1, 0.01)] for n in peers}
        decision = pruner.should_prune(me, curve, {**strong_peers, **strong_strangers}, "minimize")
        assert decision.prune
        assert decision.reason.startswith("Hyperband bracket 0 (first rung at step 1) rung 0 (step 1)")

    def test_a_later_bracket_starts_pruning_at_a_later_rung(self):
        pruner = get_pruner("hyperband", min_resource=1, max_resource=27, reduction_factor=3)
        me = next(n for n in range(100) if pruner.bracket(n) == 1)
        peers = {n: [(1, 0.01), (3, 0.01)] for n in range(100) if pruner.bracket(n) == 1 and n != me}
        assert not pruner.should_prune(me, [(1, 0.9)], peers, "minimize").prune
        decision = pruner.should_prune(me, [(1, 0.9), (3, 0.9)], peers, "minimize")
        assert decision.prune and "first rung at step 3" in decision.reason

    def test_the_last_bracket_never_prunes(self):
        pruner = get_pruner("hyperband", min_resource=1, max_resource=9, reduction_factor=3)
        me = next(n for n in range(100) if pruner.bracket(n) == pruner.n_brackets - 1)
        peers = {n: [(s, 0.01) for s in range(1, 10)] for n in range(100) if n != me}
        curve = [(s, 0.9) for s in range(1, 10)]
        assert not any(pruner.should_prune(me, curve[: i + 1], peers, "minimize").prune for i in range(9))


class TestComparisonSteps:
    """A caller (the database) may hand a pruner only each other curve's first point at or after each
    of `comparison_steps`; the decision must be the one the full curves give."""

    PRUNERS = [
        ("median", {"n_startup_trials": 2}),
        ("median", {"n_startup_trials": 1, "n_warmup_steps": 3}),
        ("asha", {}),
        ("asha", {"min_resource": 2, "reduction_factor": 4, "bootstrap_count": 3}),
        ("hyperband", {"min_resource": 1, "max_resource": 27}),
    ]

    @staticmethod
    def first_points(others, steps):
        """Each other curve's first point at or after each step; curves with none are left out."""
        reduced = {}
        for number, curve in others.items():
            points = [next((p for p in curve if p[0] >= step), None) for step in steps]
            if any(points):
                reduced[number] = [p for p in points if p is not None]
        return reduced

    @staticmethod
    def random_curve(rng, length):
        steps = np.sort(rng.choice(np.arange(1, 31), size=length, replace=False))
        values = rng.random(length)
        values[rng.random(length) < 0.05] = math.nan
        return [(int(s), float(v)) for s, v in zip(steps, values, strict=True)]

    @pytest.mark.parametrize(("name", "settings"), PRUNERS)
    def test_the_points_at_the_comparison_steps_give_the_same_decision(self, name, settings):
        rng = np.random.default_rng(11)
        pruner = get_pruner(name, **settings)
        for _ in range(200):
            others = {n: self.random_curve(rng, rng.integers(0, 25)) for n in range(rng.integers(0, 30))}
            number = len(others) + 1
            curve = self.random_curve(rng, rng.integers(1, 25))
            steps = pruner.comparison_steps(number, curve)
            full = pruner.should_prune(number, curve, others, "minimize")
            assert pruner.should_prune(number, curve, self.first_points(others, steps), "minimize") == full

    def test_asha_compares_only_on_reaching_a_rung_and_median_at_every_step_after_warm_up(self):
        asha = get_pruner("asha")
        assert asha.comparison_steps(0, [(1, 0.5)]) == [1]
        assert asha.comparison_steps(0, [(1, 0.5), (2, 0.5)]) == []
        assert asha.comparison_steps(0, [(1, 0.5), (2, 0.5), (10, 0.4)]) == [3, 9]
        median = get_pruner("median", n_warmup_steps=2)
        assert median.comparison_steps(0, [(1, 0.5), (2, 0.5)]) == []
        assert median.comparison_steps(0, [(1, 0.5), (2, 0.5), (3, 0.4)]) == [3]
        assert get_pruner("none").comparison_steps(0, [(1, 0.5)]) == []
