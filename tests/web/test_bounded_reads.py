"""Pages, plots and API routes of a large study read a bounded number of rows: the same at two sizes
past the plots' sampling threshold (lowered here, `studies.trial_sample`), so a million-trial study
reads what one of 20,000 does. Times are benchmarks/scale.py's, not asserted here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studies import trial_sample
from studies.demo import create_demo_study
from studies.models import StudySummary
from studies.plots.data import PLOTS
from tests.helpers import rows_read

pytestmark = pytest.mark.django_db

SMALL, LARGE = 300, 900  # trials; the sample below is about 40 trials of either
ROWS = 200  # rows one request may read (a sampled curve brings its points), a full read SMALL or more


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(trial_sample, "READ_ALL", 30)
    monkeypatch.setattr(trial_sample, "BEST", 10)
    monkeypatch.setattr(trial_sample, "RECENT", 10)
    monkeypatch.setattr(trial_sample, "EVEN", 20)
    monkeypatch.setattr(trial_sample, "LATEST", 20)


def _urls(study) -> list[str]:
    pk = study.pk
    kinds = [kind for kind in PLOTS if kind not in ("pareto", "hypervolume")]
    return [
        *[reverse("study-plot", args=[pk, kind]) for kind in kinds],
        reverse("study-history", args=[pk]) + "?x=time&log=1",
        reverse("study-plot", args=[pk, "parallel"]) + "?top=10",
        reverse("study-live", args=[pk]) + "?sort=-param:lr&page=2",
        reverse("study-live", args=[pk]) + "?filter=lr+<+0.01&cols=state,value,param:lr",
        reverse("study-compare") + f"?studies={pk}",
        f"/api/studies/{pk}/trials/",
    ]


def _reads(client, study) -> list[tuple[str, int, int]]:
    """(url, queries, rows read) of each of `_urls(study)`."""
    out = []
    for url in _urls(study):
        with CaptureQueriesContext(connection) as queries, rows_read() as rows:
            response = client.get(url)
        assert response.status_code == 200, url
        out.append((url, len(queries), rows[0]))
    return out


def test_every_plot_of_a_large_study_reads_the_same_bounded_rows_at_any_size(client, cast, small_sample):
    small = create_demo_study(cast["owner"], SMALL, 2, name="small")
    large = create_demo_study(cast["owner"], LARGE, 2, name="large", seed=1)
    client.force_login(cast["staff"])
    small_reads, large_reads = _reads(client, small), _reads(client, large)
    for (url, small_queries, _), (_, large_queries, _) in zip(small_reads, large_reads, strict=True):
        assert small_queries == large_queries, url
    for url, _, rows in small_reads + large_reads:
        assert rows <= ROWS, (url, rows)


def test_a_sampled_plot_says_so_in_its_title(client, cast, small_sample):
    study = create_demo_study(cast["owner"], SMALL, 2)
    client.force_login(cast["staff"])
    figure = client.get(reverse("study-plot", args=[study.pk, "history"])).json()["figure"]
    assert f"of {SMALL:,} finished trials" in figure["layout"]["title"]["text"]
    unsampled = create_demo_study(cast["owner"], 20, 2, name="few")
    figure = client.get(reverse("study-plot", args=[unsampled.pk, "history"])).json()["figure"]
    assert "finished trials" not in figure["layout"]["title"]["text"]


def test_the_sampled_history_draws_the_studys_own_best_so_far(client, cast, small_sample):
    study = create_demo_study(cast["owner"], LARGE, 2)
    client.force_login(cast["staff"])
    figure = client.get(reverse("study-plot", args=[study.pk, "history"])).json()["figure"]
    (line,) = [trace for trace in figure["data"] if trace["name"] == "best so far"]
    records = StudySummary.objects.get(study=study).best_path
    assert len(records) > 1
    assert [x for x, y in zip(line["x"], line["y"], strict=True) if x in {n for n, _ in records}] == [
        n for n, _ in records
    ]
    assert line["y"][-1] == pytest.approx(records[-1][1], rel=1e-5)


def _several_objectives_urls(study) -> list[str]:
    pk = study.pk
    return [
        study.get_absolute_url(),  # its leaderboard in Pareto order
        reverse("study-plot", args=[pk, "pareto"]),
        reverse("study-plot", args=[pk, "hypervolume"]),
        reverse("study-plot", args=[pk, "history"]) + "?objective=latency_ms",
        f"/api/studies/{pk}/",  # with its Pareto set
    ]


def test_the_pareto_reads_of_a_large_study_stay_bounded(client, cast, small_sample):
    small = create_demo_study(cast["owner"], SMALL, 2, name="small", objectives=True)
    large = create_demo_study(cast["owner"], LARGE, 2, name="large", seed=1, objectives=True)
    client.force_login(cast["staff"])
    reads = {}
    for study in (small, large):
        for url in _several_objectives_urls(study):
            with CaptureQueriesContext(connection) as queries, rows_read() as rows:
                assert client.get(url).status_code == 200, url
            reads.setdefault(url.replace(f"/{study.pk}/", "/ID/"), []).append((len(queries), rows[0]))
    for url, ((small_queries, small_rows), (large_queries, large_rows)) in reads.items():
        assert small_queries == large_queries, url
        assert max(small_rows, large_rows) <= ROWS, (url, small_rows, large_rows)


def test_paging_a_studys_trials_counts_none_of_them(client, cast):
    """The leaderboard (by an indexed order, or one state) and the API's list of trials take the
    count from the summary: a COUNT over a million trials costs more than the page."""
    study = create_demo_study(cast["owner"], 120, 2)
    client.force_login(cast["staff"])
    pk = study.pk
    for url in (
        reverse("study-live", args=[pk]) + "?page=2",
        reverse("study-live", args=[pk]) + "?state=complete&sort=-finished",
        f"/api/studies/{pk}/trials/?page=2",
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert not [q["sql"] for q in queries if "COUNT(" in q["sql"] and "studies_trial" in q["sql"]], url
    page = client.get(f"/api/studies/{pk}/trials/?page=2").json()
    assert page["count"] == 120 and len(page["results"]) == 20
    complete = study.trials.filter(state="complete").count()
    board = client.get(reverse("study-live", args=[pk]) + "?state=complete").content.decode()
    assert f"{complete} trials" in board


def test_a_sampled_page_sorted_by_a_parameter_reads_the_sample_once(client, cast, small_sample, monkeypatch):
    """Sorted by a parameter past the threshold, the page reads the sample's ordered keys once (their
    number is the count: no COUNT scans the sample again) and shows that order's page."""
    monkeypatch.setattr(trial_sample, "EVEN", 150)  # a sample of more than two pages
    study = create_demo_study(cast["owner"], LARGE, 2)
    client.force_login(cast["staff"])
    read = trial_sample.sample(study)
    ranked = sorted(study.trials.filter(number__in=read.numbers), key=lambda t: (-t.params["lr"], t.number))
    with CaptureQueriesContext(connection) as queries:
        board = client.get(reverse("study-live", args=[study.pk]) + "?sort=-param:lr&page=2").content.decode()
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"] and "studies_trial" in q["sql"]]
    assert f"{len(read.numbers)} trials, sorted and filtered from {len(read.numbers):,}" in board
    page_size = 50
    shown = [t.number for t in ranked[page_size : 2 * page_size]]
    assert len(shown) == page_size and f"/trials/{ranked[page_size - 1].number}/" not in board
    positions = [board.index(f"/trials/{number}/") for number in shown]
    assert positions == sorted(positions)


def test_no_read_of_a_sampled_page_walks_the_studys_value_index(client, cast, small_sample):
    """SQLite served `ORDER BY value` of a filtered, sampled page from the (study, value) index,
    reading every trial of the study until the page was full (2.4 s at a million trials for a filter
    few trials pass): the reads that carry the sample's numbers must plan on those numbers instead."""
    study = create_demo_study(cast["owner"], LARGE, 2)
    client.force_login(cast["staff"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("study-live", args=[study.pk]) + "?filter=lr+<+0.001")
    assert response.status_code == 200
    carries = ('"studies_trial"."number" IN (', '"studies_trial"."number" = ANY(')
    sampled = [q["sql"] for q in queries if any(form in q["sql"] for form in carries)]
    assert sampled
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        for sql in sampled:
            cursor.execute(explain + sql)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "trial_study_value" not in plan, (sql[:160], plan)
