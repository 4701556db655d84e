"""The study page and its plot endpoints: JSON figures, CSV data, access, and query counts that do not
grow with the number of trials."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from studies import services
from studies.demo import create_demo_study
from studies.plots import analysis
from studies.plots.data import PLOTS
from tests.helpers import run_trials

pytestmark = pytest.mark.django_db

# The study page is the largest: session, user, study, leaderboard, header, tags, the space tree
# (one query), the editable projects; the bound is fixed, and equal at any number of trials.
MAX_QUERIES = 11


def _urls(study) -> list[str]:
    pk = study.pk
    return [
        study.get_absolute_url(),
        reverse("study-live", args=[pk]) + "?sort=-param:lr&state=complete&page=2",
        reverse("trial-detail", args=[pk, 3]),
        reverse("trial-live", args=[pk, 3]),
        reverse("study-history", args=[pk]) + "?x=time&log=1",
        *[reverse("study-plot", args=[pk, kind]) for kind in PLOTS],
        *[reverse("study-plot-csv", args=[pk, kind]) for kind in PLOTS],
        reverse("study-plot", args=[pk, "parallel"]) + "?top=10",
        reverse("study-plot", args=[pk, "contour"]) + "?x_param=dropout&y_param=lr",
        reverse("study-plot", args=[pk, "posterior"]) + "?param=units",
        reverse("study-compare") + f"?studies={pk}&x=time",
    ]


def _counts(client, study, django_assert_max_num_queries) -> dict[int, int]:
    """Queries made by each of `_urls(study)`, by position."""
    counts = {}
    for url in _urls(study):
        with django_assert_max_num_queries(MAX_QUERIES) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[_urls(study).index(url)] = len(ctx)
    return counts


@pytest.mark.e2e  # also on PostgreSQL: the plots compute times in SQL, per database
def test_every_study_page_and_endpoint_makes_the_same_few_queries_at_any_number_of_trials(
    client, cast, django_assert_max_num_queries
):
    small = create_demo_study(cast["owner"], 40, 4, name="small")
    large = create_demo_study(cast["owner"], 160, 4, name="large", seed=1)
    for study in (small, large):
        analysis.analyze(study)
    client.force_login(cast["staff"])
    assert _counts(client, small, django_assert_max_num_queries) == _counts(
        client, large, django_assert_max_num_queries
    )


@pytest.mark.e2e
def test_every_plot_answers_a_figure_and_says_as_of_how_many_trials(client, cast):
    study = create_demo_study(cast["owner"], 60, 5)
    analysis.analyze(study)
    client.force_login(cast["staff"])
    for kind in PLOTS:
        payload = client.get(reverse("study-plot", args=[study.pk, kind])).json()
        assert payload["n_trials"] == 60, kind
        assert payload["state"] == "completed"
        assert "data" in payload["figure"] and "layout" in payload["figure"], kind


def test_a_plot_downloads_its_data_as_csv(client, cast):
    study = create_demo_study(cast["owner"], 30, 3)
    client.force_login(cast["staff"])
    response = client.get(reverse("study-plot-csv", args=[study.pk, "history"]))
    assert response["Content-Type"].startswith("text/csv")
    assert f"study-{study.pk}-history.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["number", "state", "value", "best_so_far", "finished"]
    assert len(rows) == 31


def test_plots_are_hidden_from_strangers_and_bad_options_are_refused(client, cast, make_study):
    study = make_study()
    client.force_login(cast["stranger"])
    assert client.get(reverse("study-plot", args=[study.pk, "history"])).status_code == 404
    client.force_login(cast["viewer"])
    assert client.get(reverse("study-plot", args=[study.pk, "history"])).status_code == 200
    assert client.get(reverse("study-plot", args=[study.pk, "nonsense"])).status_code == 404
    assert client.get(reverse("study-plot", args=[study.pk, "parallel"]), {"top": "500"}).status_code == 404


def test_analysis_plots_say_not_computed_yet_before_a_worker_ran(client, cast, make_study):
    study = make_study()
    client.force_login(cast["viewer"])
    payload = client.get(reverse("study-plot", args=[study.pk, "importance"])).json()
    assert "Not computed yet" in payload["figure"]["layout"]["annotations"][0]["text"]
    assert payload["n_trials"] is None


def test_the_study_page_has_every_plot_with_a_csv_link(client, cast):
    single = create_demo_study(cast["owner"], 20, 2)
    several = create_demo_study(cast["owner"], 20, 2, name="several", objectives=True)
    client.force_login(cast["staff"])
    # the Pareto front and the hypervolume are drawn for several objectives only
    for study, kinds in ((single, set(PLOTS) - {"pareto", "hypervolume"}), (several, set(PLOTS))):
        page = client.get(study.get_absolute_url()).content.decode()
        for kind in kinds:
            assert f'data-src="{reverse("study-plot", args=[study.pk, kind])}"' in page or kind == "history"
            assert reverse("study-plot-csv", args=[study.pk, kind]) in page


def test_a_stopped_studys_analysis_plots_say_while_its_last_results_analysis_is_to_come(
    client, cast, make_study
):
    """The page's plots stop refreshing once the study stops, unless the answer says `pending`: the
    analysis of the last results runs a window after them."""
    study = run_trials(make_study(max_trials=2, max_parallel=2), [3.0, 1.0])
    client.force_login(cast["viewer"])
    url = reverse("study-plot", args=[study.pk, "importance"])
    assert client.get(url).json()["pending"] is False  # running: refreshed anyway

    services.schedule_trials(study.pk)  # completes the study
    assert client.get(url).json()["pending"] is True
    analysis.analyze(study)
    assert [client.get(reverse("study-plot", args=[study.pk, k])).json()["pending"] for k in PLOTS] == [
        False
    ] * len(PLOTS)
