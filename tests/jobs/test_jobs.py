"""The job registry and the built-in jobs."""

from __future__ import annotations

import numpy as np
import pytest

from studies.jobs import get_job, registry, run_job
from studies.optimizers import SearchSpace, get_optimizer
from studies.optimizers.settings import SettingError
from tests.helpers import SHARED_BENCH, shared_bench


class Recorder:
    def __init__(self):
        self.points = []

    def report(self, step, value):
        self.points.append((step, value))

    def should_prune(self):
        return False


@pytest.mark.skipif(not SHARED_BENCH.exists(), reason="needs ../shared/bench/problems.py beside the checkout")
@pytest.mark.parametrize(
    "name", ["branin", "hartmann6", "rosenbrock4", "ackley5", "mlp_surrogate", "jenatton"]
)
def test_builtin_jobs_give_the_benchmark_problems_values(name):
    bench = shared_bench()
    space_spec, objective, _optimum, _budget = {**bench.problems(), **bench.conditional_problems()}[name]
    job = get_job(name)
    assert SearchSpace.from_dict(job.space) == SearchSpace.from_dict(space_spec)
    points = get_optimizer("random", SearchSpace.from_dict(space_spec), seed=3).suggest(n=20)
    for params in points:
        assert run_job(name, params, {}, Recorder()) == pytest.approx(objective(params), rel=1e-12, abs=1e-12)


def test_a_training_like_job_reports_a_curve_that_ends_at_its_result():
    recorder = Recorder()
    params = {"x1": 1.0, "x2": 2.0}
    value = run_job("branin", params, {"steps": 5}, recorder)
    assert [s for s, _ in recorder.points] == [1, 2, 3, 4, 5]
    assert recorder.points[-1][1] == pytest.approx(value)
    assert recorder.points[0][1] > value


def test_noise_is_reproducible_for_the_same_params():
    params = {"x1": 1.0, "x2": 2.0}
    a = run_job("branin", params, {"noise": 0.5}, Recorder())
    b = run_job("branin", params, {"noise": 0.5}, Recorder())
    assert a == b != run_job("branin", params, {}, Recorder())


def test_job_settings_are_validated_by_name():
    job = get_job("branin")
    with pytest.raises(SettingError, match="unknown setting 'epochs'"):
        job.validate_settings({"epochs": 3})
    with pytest.raises(SettingError, match="'steps' must be a number"):
        job.validate_settings({"steps": "three"})
    with pytest.raises(ValueError, match="unknown job"):
        get_job("nope")


def test_the_real_training_job_learns_digits():
    recorder = Recorder()
    params = {"lr": 0.01, "units": 64, "layers": 1, "l2": 1e-4, "batch_size": 64}
    error = run_job("digits_mlp", params, {"epochs": 3}, recorder)
    assert [s for s, _ in recorder.points] == [1, 2, 3]
    assert 0.0 <= error < 0.2
    assert np.isfinite(error)


def test_every_registered_job_has_a_valid_example_space():
    for job in registry().values():
        SearchSpace.from_dict(job.space)


def test_the_tabular_training_job_reports_a_reproducible_learning_curve():
    params = {"lr": 0.01, "units": 64, "layers": 1, "l2": 1e-4, "batch_size": 128}
    first, again = Recorder(), Recorder()
    error = run_job("tabular_mlp", params, {"epochs": 4}, first)
    run_job("tabular_mlp", params, {"epochs": 4}, again)
    assert [s for s, _ in first.points] == [1, 2, 3, 4]
    assert first.points == again.points, "the same params and data seed train the same curve"
    assert error == first.points[-1][1] < first.points[0][1] < 0.9, "it learns: below chance, improving"


def test_the_tabular_job_separates_a_good_configuration_from_a_poor_one_early():
    good = {"lr": 0.01, "units": 64, "layers": 1, "l2": 1e-4, "batch_size": 128}
    slow = {**good, "lr": 1e-4}
    good_curve, slow_curve = Recorder(), Recorder()
    run_job("tabular_mlp", good, {"epochs": 2}, good_curve)
    run_job("tabular_mlp", slow, {"epochs": 2}, slow_curve)
    # 0.05 is 200 of the 4,000 validation rows: far beyond the noise of one evaluation.
    assert good_curve.points[-1][1] < slow_curve.points[-1][1] - 0.05


def test_a_pruned_tabular_trial_stops_at_once():
    class StopAfterTwo(Recorder):
        def should_prune(self):
            return len(self.points) >= 2

    recorder = StopAfterTwo()
    params = {"lr": 0.01, "units": 16, "layers": 1, "l2": 1e-4, "batch_size": 256}
    assert run_job("tabular_mlp", params, {"epochs": 27}, recorder) is None
    assert [s for s, _ in recorder.points] == [1, 2]
