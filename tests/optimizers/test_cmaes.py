"""CMA-ES through the optimizer API: it converges, keeps integers moving, restarts, avoids failures."""

from __future__ import annotations

import numpy as np

from studies.optimizers import SearchSpace, get_optimizer


def run(space, objective, budget, seed=0, batch=1, name="cmaes", **settings):
    opt = get_optimizer(name, space, seed=seed, **settings)
    history = []
    while len(history) < budget:
        for params in opt.suggest(history=history, n=batch):
            history.append((params, objective(params)))
    return history


def floats(d, low=-2.0, high=3.0):
    return SearchSpace.from_dict({f"x{i}": {"type": "float", "low": low, "high": high} for i in range(d)})


def sphere(p):
    return sum((v - 1.0) ** 2 for v in p.values())


def test_it_beats_random_search_on_a_sphere():
    space = floats(4)
    best = {
        name: np.median([min(v for _, v in run(space, sphere, 80, seed, name=name)) for seed in range(4)])
        for name in ("cmaes", "random")
    }
    assert best["cmaes"] < 0.2 * best["random"]


def test_sequential_and_batched_calls_replay_the_same_generations():
    space = floats(3)
    history = run(space, sphere, 21, seed=1)
    opt = get_optimizer("cmaes", space, seed=1)
    ((_, info),) = opt.suggest_with_info(history=history)
    assert info["population"] == 7 and info["generation"] == 3 and info["restart"] == 0
    assert 0 < info["sigma"] < 1 / 6


def test_an_integer_does_not_freeze_thanks_to_the_margin():
    space = SearchSpace.from_dict(
        {"x": {"type": "float", "low": 0.0, "high": 1.0}, "k": {"type": "int", "low": 0, "high": 20}}
    )
    history = run(space, lambda p: (p["x"] - 0.3) ** 2 + 0.05 * abs(p["k"] - 17), 150, seed=2)
    assert min(history, key=lambda h: h[1])[0]["k"] == 17
    assert len({p["k"] for p, _ in history[-30:]}) >= 2


def test_it_restarts_with_a_doubled_population_when_it_stagnates():
    space = floats(2)
    history = run(space, lambda p: 1.0, 6 * 23, batch=6)
    ((_, info),) = get_optimizer("cmaes", space).suggest_with_info(history=history)
    assert info["restart"] >= 1 and info["population"] == 12
    ((_, info),) = get_optimizer("cmaes", space, restarts=False).suggest_with_info(history=history)
    assert info["restart"] == 0 and info["population"] == 6


def test_failed_trials_rank_last_and_steer_it_away():
    space = floats(2, 0.0, 1.0)

    def fails_on_the_right(p):
        return None if p["x0"] > 0.5 else p["x0"] + p["x1"]

    history = run(space, fails_on_the_right, 60, seed=3)
    late = [p["x0"] for p, _ in history[-12:]]
    assert np.mean(np.array(late) <= 0.5) >= 0.75
