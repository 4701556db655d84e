"""The worker's analysis of a conditional study: importance and contour treat an inactive parameter as
missing, and the contour of a pair sits at the best trial that holds both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.models import StudyAnalysis
from studies.plots import analysis
from tests.plots.test_analysis import _run

pytestmark = pytest.mark.django_db

SPACE = {
    "opt": {"type": "categorical", "choices": ["sgd", "adam"]},
    "lr": {"type": "float", "low": 0.0, "high": 1.0},
    "momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"opt": ["sgd"]}},
    "beta": {"type": "float", "low": 0.0, "high": 1.0, "when": {"opt": ["adam"]}},
}


def _adam_wins(params: dict) -> float:
    """adam is better everywhere, so the best trial lacks `momentum`; sgd's value turns on momentum."""
    if params["opt"] == "adam":
        return (params["lr"] - 0.5) ** 2
    return 1.0 + 4.0 * (params["momentum"] - 0.8) ** 2 + (params["lr"] - 0.5) ** 2


@pytest.fixture
def analysed(make_study):
    study = make_study(space=SPACE, max_trials=30, max_parallel=6, seed=3)
    _run(study, _adam_wins, 30)
    analysis.analyze(study)
    return study


def _stored(study, kind):
    return StudyAnalysis.objects.get(study=study, kind=kind).data


def test_the_contour_of_a_pair_the_best_trial_lacks_is_drawn_around_the_best_trial_holding_both(analysed):
    best = min(analysed.trials.completed(), key=lambda t: t.value)
    assert "momentum" not in best.params
    contour = _stored(analysed, "contour")
    a, b = ("lr", "momentum") if "momentum" in contour["mean"].get("lr", {}) else ("momentum", "lr")
    z = contour["mean"][a][b]
    values = [v for row in z for v in row]
    assert None not in values
    momentum_axis = contour["grids"]["momentum"]["values"]
    # Along momentum the mean moves (momentum matters on sgd), which a surface at an adam trial would not.
    along = [row[0] for row in z] if b == "momentum" else z[0]
    assert max(along) - min(along) > 0.5
    assert abs(momentum_axis[along.index(min(along))] - 0.8) < 0.3


def test_grid_cells_where_a_parameter_is_inactive_are_missing_and_branch_pairs_have_no_surface(
    analysed, client, cast
):
    contour = _stored(analysed, "contour")
    a, b = ("opt", "momentum") if "momentum" in contour["mean"].get("opt", {}) else ("momentum", "opt")
    z = contour["mean"][a][b]
    by_opt = {opt: [row[i] for row in z] for i, opt in enumerate(contour["grids"]["opt"]["values"])}
    if a == "momentum":
        by_opt = {opt: row for opt, row in zip(contour["grids"]["opt"]["values"], z, strict=True)}
    assert all(v is None for v in by_opt["adam"]) and None not in by_opt["sgd"]
    assert "beta" not in contour["mean"].get("momentum", {}) and "momentum" not in contour["mean"].get(
        "beta", {}
    )

    client.force_login(cast["viewer"])
    url = reverse("study-plot", args=[analysed.pk, "contour"])
    figure = client.get(url, {"x_param": "momentum", "y_param": "beta"}).json()["figure"]
    assert "never active together" in figure["layout"]["annotations"][0]["text"]
    figure = client.get(url, {"x_param": "lr", "y_param": "momentum"}).json()["figure"]
    sgd_trials = [t for t in analysed.trials.completed() if "momentum" in t.params]
    assert len(figure["data"][1]["x"]) == len(sgd_trials), "only the trials that hold both are drawn"


def test_stored_importance_leaves_the_missing_out_and_gives_the_parent_its_branches(analysed):
    for method in ("ped_anova", "gp"):
        params = _stored(analysed, "importance")[method]["params"]
        assert set(n for n, v in params.items() if "subtree" in v) == {"opt"}
        below = params["momentum"]["importance"] + params["beta"]["importance"]
        assert params["opt"]["subtree"] >= params["opt"]["importance"] + below - 1e-9
