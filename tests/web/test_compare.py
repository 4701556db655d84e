"""The compare page and the study list's best-so-far sparklines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.demo import create_demo_study
from studies.plots import analysis
from studies.plots.compare import best_curves_figure, summary_rows
from tests.helpers import TWO_OBJECTIVES, two_objective_study

pytestmark = pytest.mark.django_db


def test_compared_studies_overlay_their_best_so_far_and_share_importances(client, cast):
    a = create_demo_study(cast["owner"], 40, 2, name="a")
    b = create_demo_study(cast["owner"], 30, 2, name="b", seed=3)
    for study in (a, b):
        analysis.analyze(study)
    client.force_login(cast["staff"])
    response = client.get(reverse("study-compare"), {"studies": [a.pk, b.pk], "x": "time"})
    assert response.status_code == 200
    names = [t["name"] for t in response.context["curves"]["data"]]
    assert names == ["a · random, seed 0, max_trials 40", "b · random, seed 3, max_trials 30"]
    rows = {r["name"]: r for r in response.context["rows"]}
    assert rows["a"]["n_trials"] == 40 and rows["b"]["n_trials"] == 30
    assert response.context["shared"] == ["lr", "weight_decay", "dropout", "layers", "units", "optimizer"]
    assert len(response.context["importance"]["data"]) == 2


def test_one_cannot_compare_a_study_one_cannot_see(client, cast, make_study):
    hidden = create_demo_study(cast["owner"], 5, 0, name="secret-demo")
    client.force_login(cast["viewer"])
    response = client.get(reverse("study-compare"), {"studies": [hidden.pk]})
    assert response.status_code == 200 and "rows" not in response.context
    assert "secret-demo" not in response.content.decode()


def test_a_study_id_no_database_holds_is_an_error_on_the_picker(client, cast, make_study):
    study = make_study()
    client.force_login(cast["viewer"])
    for huge in ("9" * 30, "-" + "9" * 5000):
        response = client.get(reverse("study-compare"), {"studies": [study.pk, huge]})
        assert response.status_code == 200 and "rows" not in response.context
        assert response.context["query"].errors["studies"]


def test_the_time_to_reach_within_one_percent_of_the_best():
    data = {
        "studies": [
            {
                "id": 1,
                "name": "s",
                "optimizer": "gp",
                "direction": "minimize",
                "n_trials": 4,
                "number": [1, 2, 3, 4],
                "elapsed": [10.0, 20.0, 30.0, 40.0],
                "best": [5.0, 1.005, 1.005, 1.0],
                "params": ["x"],
                "importance": None,
            }
        ]
    }
    row = summary_rows(data)[0]
    assert row["best"] == 1.0 and row["reach_trial"] == 2 and row["reach_time"] == "20 s"
    trace = best_curves_figure(data)["data"][0]
    assert trace["x"] == [1, 2, 4] and trace["y"] == [5.0, 1.005, 1.0]


def test_the_study_list_draws_a_sparkline_per_study_in_a_fixed_number_of_queries(
    client, cast, django_assert_max_num_queries
):
    for i in range(3):
        create_demo_study(cast["owner"], 20, 0, name=f"s{i}", seed=i)
    client.force_login(cast["staff"])
    with django_assert_max_num_queries(9):
        page = client.get(reverse("study-list")).content.decode()
    assert page.count('<svg class="spark"') == 3
    create_demo_study(cast["owner"], 20, 0, name="s4", seed=9)
    with django_assert_max_num_queries(9):
        page = client.get(reverse("study-list")).content.decode()
    assert page.count('<svg class="spark"') == 4


def test_the_compare_page_says_what_to_do_and_labels_its_controls(client, cast, make_study):
    client.force_login(cast["viewer"])
    page = client.get(reverse("study-compare")).content.decode()
    assert "No studies to compare yet" in page
    make_study(name="a")
    page = client.get(reverse("study-compare")).content.decode()
    assert "Tick two or more studies, then press Compare." in page
    assert "<label>x axis <select" in page and "target value <input" in page


def test_a_constrained_studys_best_so_far_counts_only_trials_that_keep_its_constraints(
    client, cast, make_study
):
    # trial 1 is the lowest error but breaks the memory limit: the study's best is trial 2
    study = two_objective_study(
        make_study,
        [{"error": 0.1, "latency": 1.0, "memory": 9.0}, {"error": 0.5, "latency": 1.0, "memory": 2.0}],
        objectives=TWO_OBJECTIVES[:1],
    )
    assert study.summary.best_value == 0.5
    client.force_login(cast["viewer"])
    response = client.get(reverse("study-compare"), {"studies": [study.pk]})
    (row,) = response.context["rows"]
    assert row["best"] == 0.5
    assert response.context["curves"]["data"][0]["y"][-1] == 0.5
    history = client.get(reverse("study-plot-csv", args=[study.pk, "history"])).content.decode()
    assert [line.split(",")[3] for line in history.splitlines()[1:]] == ["", "0.5"]  # best_so_far


def test_the_definitions_show_every_objective_and_constraint(client, cast, make_study):
    several = two_objective_study(make_study, [{"error": 0.1, "latency": 1.0, "memory": 2.0}])
    single = make_study(name="single")
    client.force_login(cast["viewer"])
    response = client.get(reverse("study-compare"), {"studies": [several.pk, single.pk]})
    (job,) = [rows for title, rows in response.context["definition"] if title == "Job"]
    objectives = next(row for row in job if row.label == "objectives")
    # by name: "single", then "trade-off"
    assert objectives.values == ["loss (minimize)", "error (minimize), latency (minimize); memory <= 8"]


def test_the_compare_plots_put_their_legend_below_the_x_axis_title(client, cast):
    a = create_demo_study(cast["owner"], 20, 0, name="a", objectives=True)
    b = create_demo_study(cast["owner"], 20, 0, name="b", seed=3, objectives=True)
    client.force_login(cast["staff"])  # demo studies go to the first project, not the cast's
    context = client.get(reverse("study-compare"), {"studies": [a.pk, b.pk]}).context
    for name in ("curves", "edf", "hypervolume"):
        layout = context[name]["layout"]
        assert layout["legend"]["y"] < -0.2 and layout["legend"]["yanchor"] == "top", name
        assert layout["margin"]["b"] >= 100, name
