"""Trials side by side: the comparison page and `GET /api/trials/?ids=`, over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies.demo import create_demo_study
from tests.helpers import assert_bounded, run_trials, token_client

pytestmark = pytest.mark.django_db

OTHER_SPACE = {
    "x1": {"type": "float", "low": -5, "high": 10},
    "lr": {"type": "float", "low": 1e-4, "high": 1},
}


def _compare(client, *trials):
    return client.get(reverse("trial-compare"), {"ids": ",".join(str(t.pk) for t in trials)})


@pytest.fixture
def two_studies(make_study):
    """Two finished studies of the cast's project: branin's (x1, x2) and one with (x1, lr)."""
    branin = run_trials(make_study(name="branin-a", max_trials=3, max_parallel=3), [3.0, 1.0, 2.0])
    other = run_trials(make_study(name="other-b", space=OTHER_SPACE, seed=5, max_trials=2), [5.0])
    return branin, other


def test_two_trials_side_by_side_show_every_parameter_and_mark_the_rows_that_differ(
    client, cast, two_studies
):
    branin, other = two_studies
    first, second = branin.trials.get(number=1), other.trials.get(number=1)
    client.force_login(cast["viewer"])
    response = _compare(client, first, second)
    assert response.status_code == 200
    params = {row.label: row for row in response.context["params"]}
    assert list(params) == ["x1", "x2", "lr"]
    assert params["x1"].differs and params["lr"].values[0] is None and params["lr"].differs
    facts = {row.label: row for row in response.context["facts"]}
    assert facts["study"].values == ["branin-a", "other-b"] and facts["study"].differs
    assert facts["state"].values == ["complete", "complete"] and not facts["state"].differs
    assert facts["objectives"].values == ["loss (minimize)", "loss (minimize)"]
    metrics = {row.label: row for row in response.context["metrics"]}
    assert list(metrics) == ["loss"] and metrics["loss"].values == ["3", "5"]
    assert facts["attempts"].values == ["#1 complete on w1", "#1 complete on w1"]
    names = [trace["name"] for trace in response.context["curves"]["data"]]
    assert names == ["branin-a #1", "other-b #1"]
    html = response.content.decode()
    assert '<tr class="differs"><th>x1</th>' in html and "<tr><th>state</th>" in html
    assert first.get_absolute_url() in html and second.get_absolute_url() in html


def test_the_columns_follow_the_order_of_the_ids_in_the_address(client, cast, two_studies):
    branin, _ = two_studies
    trials = [branin.trials.get(number=n) for n in (3, 1, 2)]
    client.force_login(cast["viewer"])
    response = _compare(client, *trials)
    assert [t.number for t in response.context["trials"]] == [3, 1, 2]
    assert response.context["ids"] == ",".join(str(t.pk) for t in trials)


def test_ticked_checkboxes_without_script_open_the_same_comparison(client, cast, two_studies):
    branin, _ = two_studies
    a, b = branin.trials.get(number=1), branin.trials.get(number=2)
    client.force_login(cast["viewer"])
    response = client.get(reverse("trial-compare"), {"ids": [a.pk, b.pk]})
    assert response.status_code == 200 and [t.pk for t in response.context["trials"]] == [a.pk, b.pk]


def test_one_trial_the_user_may_not_read_makes_the_whole_page_a_404(client, cast, two_studies, project):
    from studies.models import Project

    branin, _ = two_studies
    mine = branin.trials.get(number=1)
    hidden = create_demo_study(cast["staff"], 3, 2, name="secret-demo").trials.first()
    assert hidden.study.project != project and Project.objects.filter(name="Demo").exists()
    client.force_login(cast["viewer"])
    response = _compare(client, mine, hidden)
    assert response.status_code == 404 and "secret-demo" not in response.content.decode()
    client.force_login(cast["stranger"])
    assert _compare(client, mine).status_code == 404
    client.force_login(cast["staff"])
    assert _compare(client, mine, hidden).status_code == 200


def test_a_trial_id_that_does_not_exist_is_a_404(client, cast, two_studies):
    branin, _ = two_studies
    client.force_login(cast["viewer"])
    assert (
        client.get(reverse("trial-compare"), {"ids": f"{branin.trials.first().pk},999999"}).status_code == 404
    )


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("", "Choose at least one trial"),
        ("1,two", "'two' is not a trial id"),
        ("1;DROP TABLE studies_trial", "is not a trial id"),
        ("-1", "'-1' is not a trial id"),
        ("\u00b2", "is not a trial id"),
        (",".join(str(i) for i in range(1, 14)), "Compare at most 12 trials at once (13 given)"),
    ],
)
def test_a_bad_list_of_ids_is_a_400_that_says_what_is_wrong(client, cast, ids, message):
    client.force_login(cast["viewer"])
    response = client.get(reverse("trial-compare"), {"ids": ids})
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")


def test_the_page_asks_anonymous_visitors_to_log_in(client, two_studies):
    response = _compare(client, two_studies[0].trials.first())
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_trial_names_and_notes_are_escaped(client, cast, make_study):
    study = run_trials(make_study(name="<b>bold</b>", max_trials=2), [1.0, 2.0])
    trial = study.trials.first()
    trial.note = "<script>alert(1)</script>"
    trial.save(update_fields=["note"])
    client.force_login(cast["viewer"])
    html = _compare(client, *study.trials.all()).content.decode()
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_costs_the_same_queries_for_six_trials_as_for_two(
    client, cast, make_study, django_assert_max_num_queries
):
    study = run_trials(make_study(name="six", max_trials=6, max_parallel=6), [6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    trials = list(study.trials.all())
    client.force_login(cast["viewer"])
    with django_assert_max_num_queries(10) as two:
        assert _compare(client, *trials[:2]).status_code == 200
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert _compare(client, *trials).status_code == 200


def test_each_leaderboard_row_has_a_checkbox_for_the_comparison(client, cast, two_studies):
    branin, _ = two_studies
    client.force_login(cast["viewer"])
    html = client.get(branin.get_absolute_url()).content.decode()
    assert f'action="{reverse("trial-compare")}"' in html
    for trial in branin.trials.all():
        assert f'class="pick-trial" name="ids" value="{trial.pk}"' in html


@pytest.mark.slow
def test_comparing_trials_of_a_10000_trial_study_stays_within_its_queries_and_under_1_mb(
    client, cast, django_assert_max_num_queries
):
    study = create_demo_study(cast["staff"], 10_000, 5, name="big")
    best = list(study.trials.completed().leaderboard(study.direction)[:12])
    client.force_login(cast["staff"])
    ids = {"ids": ",".join(str(t.pk) for t in best)}
    assert_bounded(client, reverse("trial-compare"), ids, 10, django_assert_max_num_queries)


def _two_objective_trials(make_study) -> list:
    """A constrained two-objective study's first two trials (the second infeasible) and a loss trial."""
    objectives = [
        {"metric": "error", "direction": "minimize"},
        {"metric": "latency", "direction": "minimize"},
    ]
    study = make_study(
        name="trade-off",
        metric="error",
        objectives=objectives,
        constraints=[{"metric": "memory", "max": 8.0}],
    )
    results = [{"error": 0.2, "latency": 10.0, "memory": 4.0}, {"error": 0.1, "latency": 30.0, "memory": 9.0}]
    run_trials(study, results)
    single = run_trials(make_study(name="single", max_trials=1, max_parallel=1), [4.0])
    return [*study.trials.order_by("number")[:2], single.trials.get()]


def test_every_objective_and_constraint_and_feasibility_are_compared(client, cast, make_study):
    client.force_login(cast["viewer"])
    response = _compare(client, *_two_objective_trials(make_study))
    metrics = {row.label: row for row in response.context["metrics"]}
    assert list(metrics) == ["error", "latency", "memory", "loss", "feasible"]
    assert metrics["error"].values == ["0.2", "0.1", None] and metrics["error"].differs
    assert metrics["memory"].values == ["4", "9", None]
    assert metrics["loss"].values == [None, None, "4"]
    assert metrics["feasible"].values == [True, False, None]
    facts = {row.label: row for row in response.context["facts"]}
    assert facts["objectives"].values[0] == "error (minimize), latency (minimize); memory <= 8"
    html = response.content.decode()
    assert '<tr class="differs"><th>feasible</th><td>True</td><td>False</td><td>—</td></tr>' in html


class TestTheApi:
    def test_trials_of_a_study_with_objectives_carry_every_metric_and_feasibility(self, cast, make_study):
        trials = _two_objective_trials(make_study)
        ids = ",".join(str(t.pk) for t in trials)
        body = token_client(cast["viewer"]).get("/api/trials/", {"ids": ids}).json()
        assert body[0]["values"] == {"error": 0.2, "latency": 10.0, "memory": 4.0}
        assert [t.get("feasible") for t in body] == [True, False, None] and "values" not in body[2]
        one = token_client(cast["viewer"]).get(f"/api/trials/{trials[1].pk}/").json()
        assert one["values"]["memory"] == 9.0 and one["feasible"] is False

    def test_it_returns_the_trials_in_the_order_asked_with_their_study_and_attempts(self, cast, two_studies):
        branin, other = two_studies
        a, b = other.trials.get(number=1), branin.trials.get(number=2)
        body = token_client(cast["viewer"]).get("/api/trials/", {"ids": f"{a.pk},{b.pk}"}).json()
        assert [(t["id"], t["study"], t["number"]) for t in body] == [
            (a.pk, other.pk, 1),
            (b.pk, branin.pk, 2),
        ]
        assert body[1]["value"] == 1.0 and body[1]["attempts"][0]["worker"] == "w1"

    def test_one_unreadable_trial_is_a_404(self, cast, two_studies):
        mine = two_studies[0].trials.first()
        assert token_client(cast["stranger"]).get("/api/trials/", {"ids": str(mine.pk)}).status_code == 404

    def test_a_bad_list_is_a_400_naming_ids(self, cast):
        response = token_client(cast["viewer"]).get("/api/trials/", {"ids": "1,x"})
        assert response.status_code == 400 and "is not a trial id" in response.json()["ids"][0]

    def test_it_needs_a_login(self, client, two_studies):
        assert client.get("/api/trials/", {"ids": str(two_studies[0].trials.first().pk)}).status_code in (
            401,
            403,
        )
