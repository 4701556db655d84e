"""The built-in jobs with several metrics match the public benchmark's definitions exactly."""

from __future__ import annotations

import pytest

from studies.jobs import get_job, run_job
from studies.optimizers import SearchSpace, get_optimizer
from tests.helpers import SHARED_BENCH, shared_bench


class Silent:
    def report(self, step, value):
        raise AssertionError("these jobs report no curve")

    def should_prune(self):
        return False


@pytest.mark.skipif(not SHARED_BENCH.exists(), reason="needs ../shared/bench/problems.py beside the checkout")
@pytest.mark.parametrize("name", ["zdt1", "dtlz2", "gramacy"])
def test_multi_metric_jobs_give_the_benchmark_problems_values(name):
    space_spec, evaluate, *_rest = shared_bench().mo_problems()[name]
    job = get_job(name)
    assert SearchSpace.from_dict(job.space) == SearchSpace.from_dict(space_spec)
    for params in get_optimizer("random", SearchSpace.from_dict(space_spec), seed=5).suggest(n=20):
        got, want = run_job(name, params, {}, Silent()), evaluate(params)
        assert set(got) == set(want)
        assert all(got[k] == pytest.approx(want[k], rel=1e-12, abs=1e-12) for k in want)


def test_noise_moves_every_metric_reproducibly():
    params = {f"x{i}": 0.3 for i in range(1, 7)}
    first = run_job("zdt1", params, {"noise": 0.1}, Silent())
    assert first == run_job("zdt1", params, {"noise": 0.1}, Silent())
    assert first != run_job("zdt1", params, {}, Silent())


@pytest.mark.skipif(not SHARED_BENCH.exists(), reason="needs ../shared/bench/problems.py beside the checkout")
@pytest.mark.parametrize("name", ["zdt1", "dtlz2", "gramacy"])
def test_multi_metric_jobs_suggest_the_benchmark_problems_objectives_and_constraints(name):
    _space, _evaluate, objectives, constraints, *_rest = shared_bench().mo_problems()[name]
    job = get_job(name)
    assert [(o["metric"], o["direction"]) for o in job.objectives] == objectives
    assert [(c["metric"], c["max"]) for c in job.constraints] == constraints
