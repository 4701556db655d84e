from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from studies.jobs.builtins import SPACES, jenatton
from studies.optimizers import SearchSpace, get_optimizer
from studies.optimizers.gp.acquisition import log_ei, log_pi, ucb
from studies.optimizers.gp.kernel import ScaledDistance, matern52, matern52_and_dr2, sq_differences
from studies.optimizers.gp.regressor import (
    LOG_NOISE_PRIOR,
    LOG_SCALE_PRIOR,
    GaussianProcess,
    Hyperparameters,
    fit_hyperparameters,
    lengthscale_prior,
    neg_log_posterior,
)
from studies.optimizers.gp.warping import OutputWarp

BRANIN = SearchSpace.from_dict(
    {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}
)


def branin(p):
    x, y = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def test_log_ei_matches_the_closed_form_and_stays_finite_far_from_the_incumbent():
    mean = np.array([0.0, 0.5, -1.0, 2.0, 3.0])
    std = np.array([1.0, 0.3, 2.0, 0.5, 0.7])
    z = (0.2 - mean) / std
    closed = std * (z * stats.norm.cdf(z) + stats.norm.pdf(z))
    value, d_mean, d_std = log_ei(mean, std, best=0.2)
    np.testing.assert_allclose(value, np.log(closed), rtol=1e-9)
    np.testing.assert_allclose(d_mean, -stats.norm.cdf(z) / closed * 1, rtol=1e-6)
    far, *_ = log_ei(np.array([40.0, 1e4]), np.array([1.0, 1.0]), best=0.0)
    assert np.all(np.isfinite(far)) and far[0] > far[1]
    eps = 1e-7
    numeric = (log_ei(mean, std + eps, best=0.2)[0] - value) / eps
    np.testing.assert_allclose(d_std, numeric, rtol=1e-4, atol=1e-6)


def test_log_pi_and_ucb_match_their_definitions():
    mean, std = np.array([0.0, 1.0, 25.0]), np.array([1.0, 0.5, 1.0])
    np.testing.assert_allclose(log_pi(mean, std, best=0.5)[0], stats.norm.logcdf((0.5 - mean) / std))
    np.testing.assert_allclose(ucb(mean, std, kappa=3.0)[0], -mean + 3.0 * std)


def test_the_posterior_on_tiny_data_equals_a_direct_solve():
    rng = np.random.default_rng(0)
    X, y = rng.random((5, 2)), rng.normal(size=5)
    hyper = Hyperparameters(np.log([0.3, 0.7]), math.log(1.5), math.log(1e-3))
    gp = GaussianProcess(X, y, np.array([False, False]), hyper)
    Xs = rng.random((4, 2))

    def k(A, B):
        r = np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2 / np.array([0.3, 0.7]) ** 2).sum(-1))
        return 1.5 * (1 + math.sqrt(5) * r + 5 / 3 * r**2) * np.exp(-math.sqrt(5) * r)

    K = k(X, X) + 1e-3 * np.eye(5)
    mean = k(Xs, X) @ np.linalg.solve(K, y)
    cov = k(Xs, Xs) - k(Xs, X) @ np.linalg.solve(K, k(X, Xs))
    got_mean, got_cov = gp.predict_cov(Xs)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-8)
    np.testing.assert_allclose(got_cov, cov, atol=1e-10)
    np.testing.assert_allclose(gp.predict(Xs)[1], np.diag(cov), atol=1e-10)


def test_the_posterior_covariance_is_symmetric_and_positive_semidefinite():
    rng = np.random.default_rng(1)
    X = rng.random((30, 3))
    X[:, 2] = (np.floor(X[:, 2] * 3) + 0.5) / 3
    cat = np.array([False, False, True])
    y = np.sin(6 * X[:, 0]) + (X[:, 2] > 0.5)
    gp = GaussianProcess(X, y, cat, Hyperparameters(np.log([0.2, 0.3, 0.5]), 0.0, math.log(1e-6)))
    _, cov = gp.predict_cov(rng.random((40, 3)))
    np.testing.assert_allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > -1e-8


def test_believed_points_added_to_the_factor_give_the_posterior_of_a_full_refactorization():
    """A batch extends the Cholesky factor by one block per believed point instead of factorizing
    anew; the posterior must be the same, including points believed on top of an observation."""
    rng = np.random.default_rng(2)
    X = rng.random((40, 3))
    X[:, 2] = (np.floor(X[:, 2] * 3) + 0.5) / 3
    cat = np.array([False, False, True])
    hyper = Hyperparameters(np.log([0.2, 0.3, 0.5]), 0.3, math.log(1e-3))
    gp = GaussianProcess(X, np.sin(6 * X[:, 0]) + X[:, 1], cat, hyper)
    Xp = np.vstack([rng.random((3, 3)), X[:1]])  # the last one sits on an observation
    Xp[:3, 2] = X[:3, 2]
    yp = rng.normal(size=4)
    grown = gp.with_exact_observations(Xp[:2], yp[:2]).with_exact_observations(Xp[2:], yp[2:])
    whole = GaussianProcess(np.vstack([X, Xp]), np.concatenate([gp.y, yp]), cat, hyper, n_exact=4)
    Xs = rng.random((25, 3))
    for got, want in zip(grown.predict(Xs), whole.predict(Xs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert grown.n_exact == 4
    assert grown.predict(Xp[:3])[1].max() < 1e-4 * gp.scale  # exact: no variance left there


def test_the_in_place_kernels_give_the_floats_of_their_formulas():
    # computed in place for speed, step by step the same operations: the same bits, so no suggestion moves
    r2 = np.random.default_rng(0).random((40, 30)) * 12.0
    r2[0, :3] = 0.0
    scale, sqrt5 = 1.7, np.sqrt(5.0)
    r = np.sqrt(np.maximum(r2, 0.0))
    assert np.array_equal(
        matern52(r2, scale), scale * (1.0 + sqrt5 * r + (5.0 / 3.0) * r2) * np.exp(-sqrt5 * r)
    )
    k, dk = matern52_and_dr2(r2, scale)
    e = scale * np.exp(-sqrt5 * r)
    a = 1.0 + sqrt5 * r
    assert np.array_equal(k, (a + (5.0 / 3.0) * r2) * e)
    assert np.array_equal(dk, -(5.0 / 6.0) * a * e)


def test_hamming_distance_counts_a_changed_categorical_once():
    A = np.array([[0.1, 1 / 6]])
    B = np.array([[0.1, 1 / 6], [0.1, 5 / 6], [0.4, 5 / 6]])
    r2 = ScaledDistance(np.array([4.0, 2.0]), np.array([False, True])).sqdist(A, B)
    np.testing.assert_allclose(r2, [[0.0, 2.0, 2.0 + 4 * 0.09]])
    assert matern52(np.zeros(1), 2.0)[0] == 2.0


def test_output_warping_round_trips_and_gives_failures_the_worst_target():
    losses = np.array([0.1, 0.2, 0.15, 5.0, 300.0, np.nan, 0.12])
    warp = OutputWarp(losses)
    targets = warp.forward(losses)
    np.testing.assert_allclose(
        warp.inverse(targets[np.isfinite(losses)]), losses[np.isfinite(losses)], rtol=1e-8
    )
    assert targets[5] == targets.max() and np.isfinite(targets).all()


@pytest.mark.parametrize(
    "values",
    [
        [1.0] * 8,  # constant
        [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 3.0, 1.0],
        [float("nan")] * 7 + [1.0],  # a single finite observation
        [None, float("inf"), -float("inf"), 1.0, 2.0, 1e300, -1e300, 0.0],
    ],
)
def test_degenerate_histories_do_not_crash_it(values):
    same = {"x1": 1.0, "x2": 2.0}
    history = [(same if i % 2 else {"x1": float(i), "x2": 3.0}, v) for i, v in enumerate(values)]
    opt = get_optimizer("gp", BRANIN, seed=0, n_startup=2)
    for params in opt.suggest(history=history, n=2):
        BRANIN.validate_params(params)


def test_a_batch_is_diverse_and_avoids_running_points():
    history = [(p, branin(p)) for p in get_optimizer("random", BRANIN, seed=0).suggest(n=12)]
    opt = get_optimizer("gp", BRANIN, seed=0)
    pending = opt.suggest(history=history, n=1)
    batch = opt.suggest_with_info(history=history, pending=pending, n=4)
    X = BRANIN.encode([p for p, _ in batch] + pending)
    gaps = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1)) + np.eye(len(X))
    assert gaps.min() > 1e-3
    assert [info["n_pending"] for _, info in batch] == [1, 2, 3, 4]


def test_it_starts_at_the_centre_then_follows_a_sobol_sequence():
    opt = get_optimizer("gp", BRANIN, seed=0, n_startup=4)
    first = opt.suggest(n=4)
    assert first[0] == {"x1": 2.5, "x2": 7.5}
    assert opt.suggest(pending=first[:2], n=2) == first[2:]


def test_info_reports_the_acquisition_and_posterior():
    history = [(p, branin(p)) for p in get_optimizer("random", BRANIN, seed=0).suggest(n=10)]
    for kind, name in [("auto", "log_ei"), ("pi", "log_pi"), ("ucb", "ucb")]:
        ((params, info),) = get_optimizer("gp", BRANIN, seed=0, acquisition=kind).suggest_with_info(
            history=history
        )
        assert info["acquisition"] == name and info["n_observations"] == 10 and info["n_pending"] == 0
        assert info["std"] >= 0 and info["incumbent"] == min(v for _, v in history)


def test_gp_clearly_beats_random_search_on_branin():
    def final_regret(name, seed, budget=25):
        opt, history = get_optimizer(name, BRANIN, seed=seed), []
        while len(history) < budget:
            history += [(p, branin(p)) for p in opt.suggest(history=history)]
        return min(v for _, v in history) - 0.397887

    gp = [final_regret("gp", s) for s in range(3)]
    rnd = [final_regret("random", s) for s in range(3)]
    assert max(gp) < 0.05 < min(rnd)


def test_on_a_tree_it_reaches_the_optimal_leaf_and_scores_a_candidate_on_its_active_dimensions_only():
    # Jenatton's optimum (0.1) is the leaf x4 = 0 under x1 = 0, x2 = 0. Scoring candidates with their
    # unused coordinates left as drawn (not imputed at the centre) stays in the x5 leaf on seed 5.
    space = SearchSpace.from_dict(SPACES["jenatton"])
    for seed in range(6):
        opt, history = get_optimizer("gp", space, seed=seed), []
        while len(history) < 25:
            history += [(p, jenatton(p)) for p in opt.suggest(history=history)]
        params, value = min(history, key=lambda h: h[1])
        assert (params["x1"], params["x2"]) == (0, 0) and value - 0.1 < 1e-2, (seed, params)


def test_it_maximizes_when_asked():
    history = [(p, -branin(p)) for p in get_optimizer("random", BRANIN, seed=3).suggest(n=15)]
    opt = get_optimizer("gp", BRANIN, direction="maximize", seed=0)
    for _ in range(10):
        history += [(p, -branin(p)) for p in opt.suggest(history=history)]
    assert max(v for _, v in history) > -0.5


def test_the_map_fit_gives_an_irrelevant_dimension_a_long_lengthscale():
    rng = np.random.default_rng(2)
    X = rng.random((30, 2))
    y = np.sin(6 * X[:, 0])
    y = (y - y.mean()) / y.std()
    hyper = fit_hyperparameters(X, y, np.array([False, False]), rng)
    relevant, irrelevant = np.exp(hyper.log_ls)
    assert irrelevant > 5 * relevant and math.exp(hyper.log_noise) < 1e-2


def test_the_posterior_mean_and_variance_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.random((30, 3))
    X[:, 2] = (np.floor(X[:, 2] * 3) + 0.5) / 3
    hyper = Hyperparameters(np.log([0.3, 0.5, 0.4]), 0.0, math.log(1e-4))
    gp = GaussianProcess(X, np.sin(4 * X[:, 0]), np.array([False, False, True]), hyper)
    Xs = np.column_stack([rng.random((4, 2)), X[:4, 2]])
    mean, var, dmean, dvar = gp.predict_with_grad(Xs, np.array([0, 1]))
    np.testing.assert_allclose(np.vstack([mean, var]), np.vstack(gp.predict(Xs)), atol=1e-12)
    for k in (0, 1):
        step = np.zeros(3)
        step[k] = 1e-6
        (m_up, v_up), (m_down, v_down) = gp.predict(Xs + step), gp.predict(Xs - step)
        np.testing.assert_allclose(dmean[:, k], (m_up - m_down) / 2e-6, atol=1e-5)
        np.testing.assert_allclose(dvar[:, k], (v_up - v_down) / 2e-6, atol=1e-5)


def test_the_log_posterior_gradient_matches_finite_differences_on_a_mixed_space():
    rng = np.random.default_rng(4)
    X = rng.random((25, 3))
    X[:, 2] = (np.floor(X[:, 2] * 3) + 0.5) / 3
    cat = np.array([False, False, True])
    y = np.sin(5 * X[:, 0]) + X[:, 2]
    D = sq_differences(X, cat)
    theta = np.array([-1.0, -0.5, 0.2, 0.3, math.log(1e-2)])
    value, grad = neg_log_posterior(theta, D, y)
    K = matern52(ScaledDistance(np.exp(-2 * theta[:3]), cat).sqdist(X, X), math.exp(theta[3]))
    K += math.exp(theta[4]) * np.eye(25)
    nll = 0.5 * y @ np.linalg.solve(K, y) + 0.5 * np.linalg.slogdet(K)[1] + 12.5 * math.log(2 * math.pi)
    mu, sd = lengthscale_prior(3)
    prior = 0.5 * np.sum((theta[:3] - mu) ** 2) / sd**2
    for t, (m, s) in zip(theta[3:], (LOG_SCALE_PRIOR, LOG_NOISE_PRIOR), strict=True):
        prior += 0.5 * (t - m) ** 2 / s**2
    assert value == pytest.approx(nll + prior, rel=1e-10)
    numeric = optimize.approx_fprime(theta, lambda t: neg_log_posterior(t, D, y)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("d", [1, 2, 5, 20])
def test_the_lengthscale_prior_median_is_the_rms_distance_in_the_unit_cube(d):
    mu, sd = lengthscale_prior(d)
    rng = np.random.default_rng(0)
    A, B = rng.random((20000, d)), rng.random((20000, d))
    rms = math.sqrt(np.mean(np.sum((A - B) ** 2, axis=1)))
    assert math.exp(mu) == pytest.approx(rms, rel=0.02)
    assert sd == pytest.approx(math.sqrt(3.0))


def _best_after(opt, budget):
    history = []
    while len(history) < budget:
        history += [(p, branin(p)) for p in opt.suggest(history=history)]
    return min(v for _, v in history)


@pytest.mark.parametrize("seed", [0, 1])
def test_pi_at_its_default_margin_explores_instead_of_stalling_beside_the_incumbent(seed):
    optimum = 0.397887
    # With xi = 0 both seeds stalled about 4 above the optimum after 40 trials (docs/benchmarks.md).
    regret = _best_after(get_optimizer("gp", BRANIN, seed=seed, acquisition="pi"), 40) - optimum
    assert regret < 0.5


@pytest.mark.parametrize(("d", "n_startup"), [(3, 5), (9, 10), (30, 10)])
def test_the_model_takes_over_after_d_plus_one_startup_trials_but_never_more_than_ten(d, n_startup):
    space = SearchSpace.from_dict({f"x{i}": {"type": "float", "low": 0, "high": 1} for i in range(d)})
    opt = get_optimizer("gp", space, seed=0)
    history = []
    for _ in range(n_startup):
        ((params, info),) = opt.suggest_with_info(history=history)
        assert info["phase"] == "startup"
        history.append((params, sum((v - 0.3) ** 2 for v in params.values())))
    ((_, info),) = opt.suggest_with_info(history=history)
    assert info["phase"] == "model"
