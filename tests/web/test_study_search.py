"""Finding studies: the study list's search, filters, orderings and pages, tags, and the same filters
on `GET /api/studies/`; over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.pagination import PageNumberPagination

from studies import services
from studies.jobs.builtins import SPACES
from studies.models import AuditEvent, Project
from tests.helpers import run_trials, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(make_study, cast):
    """Three studies in the cast's project and one in another project the viewer cannot see."""
    a = make_study(name="resnet-lr-sweep", description="learning rates for resnet", optimizer="gp")
    b = make_study(name="mlp-baseline", optimizer="random")
    c = make_study(name="mlp-rerun", optimizer="tpe", job="mlp_surrogate")
    c.set_state("running")
    hidden = {"name": "hidden-resnet", "project": Project.objects.get(name="Elsewhere"), "job": "branin"}
    services.create_study(cast["stranger"], SPACES["branin"], hidden)
    return {"a": a, "b": b, "c": c}


def _names(client, **query) -> list[str]:
    response = client.get(reverse("study-list"), query)
    assert response.status_code == 200, response.content.decode()[:500]
    return [study.name for study in response.context["studies"]]


@pytest.fixture
def viewer(client, cast):
    client.force_login(cast["viewer"])
    return client


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"search": "RESNET"}, ["resnet-lr-sweep"]),
        ({"search": "learning rates"}, ["resnet-lr-sweep"]),
        ({"optimizer": "random"}, ["mlp-baseline"]),
        ({"state": "running"}, ["mlp-rerun"]),
        ({"job": "mlp_surrogate"}, ["mlp-rerun"]),
        ({"project": "Vision", "ordering": "name"}, ["mlp-baseline", "mlp-rerun", "resnet-lr-sweep"]),
        ({"project": "Elsewhere"}, []),
        ({"owner": "owner", "search": "mlp", "ordering": "-name"}, ["mlp-rerun", "mlp-baseline"]),
        ({"owner": "editor"}, []),
    ],
)
def test_each_filter_narrows_the_list_to_what_the_user_may_see(viewer, listed, query, expected):
    assert sorted(_names(viewer, **query)) == sorted(expected)
    if "ordering" in query:
        assert _names(viewer, **query) == expected


def test_a_study_is_found_by_its_tag_set_by_an_editor_on_the_study_page(client, cast, listed):
    client.force_login(cast["editor"])
    url = reverse("study-tags", args=[listed["b"].pk])
    response = client.post(url, {"tags": "Baseline, week-48, baseline"})
    assert response.status_code == 302
    assert list(listed["b"].tags.values_list("name", flat=True)) == ["baseline", "week-48"]
    assert AuditEvent.objects.filter(action="tags", study=listed["b"]).exists()
    assert _names(client, tag="week-48") == ["mlp-baseline"]
    assert _names(client, tag="BASELINE") == ["mlp-baseline"]
    page = client.get(listed["b"].get_absolute_url()).content.decode()
    assert 'class="tag" href="/?tag=week-48">week-48</a>' in page
    listing = client.get(reverse("study-list")).content.decode()
    assert ">week-48</a>" in listing
    client.post(url, {"tags": "week-48"})
    assert list(listed["b"].tags.values_list("name", flat=True)) == ["week-48"]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("good, <script>", "is not a tag"),
        ("a b", "is not a tag"),
        ("x" * 33, "is not a tag"),
        (",".join(f"t{i}" for i in range(11)), "At most 10 tags per study (11 given)"),
    ],
)
def test_a_bad_tag_is_refused_at_the_field_and_nothing_is_stored(client, cast, listed, tags, message):
    client.force_login(cast["editor"])
    listed["a"].tags.create(name="kept")
    response = client.post(reverse("study-tags", args=[listed["a"].pk]), {"tags": tags})
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert 'id="tags-error"' in html and message in html and "<script>," not in html
    assert list(listed["a"].tags.values_list("name", flat=True)) == ["kept"]


def test_a_viewer_may_not_set_tags(client, cast, listed):
    client.force_login(cast["viewer"])
    assert client.post(reverse("study-tags", args=[listed["a"].pk]), {"tags": "x"}).status_code == 404
    assert not listed["a"].tags.exists()


def test_a_bad_filter_is_a_400_that_names_the_field(viewer, listed):
    response = viewer.get(reverse("study-list"), {"state": "sleeping", "ordering": "password"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="search-error-state"' in html and 'id="search-error-ordering"' in html
    assert "resnet-lr-sweep" not in html


def test_column_headers_sort_both_ways_and_keep_the_filters(viewer, listed):
    html = viewer.get(reverse("study-list"), {"search": "mlp", "ordering": "name"}).content.decode()
    assert 'href="?search=mlp&amp;ordering=-name" class="sort asc">Name' in html
    assert 'href="?search=mlp&amp;ordering=project"' in html


def test_the_live_refresh_asks_for_the_same_filtered_rows(viewer, listed):
    html = viewer.get(reverse("study-list"), {"search": "mlp"}).content.decode()
    assert f'hx-get="{reverse("study-list-rows")}?search=mlp"' in html
    rows = viewer.get(reverse("study-list-rows"), {"search": "mlp"})
    assert sorted(s.name for s in rows.context["studies"]) == ["mlp-baseline", "mlp-rerun"]


def test_the_list_is_paged_and_the_pages_keep_the_filters(viewer, make_study, settings):
    for i in range(53):
        make_study(name=f"many-{i:02d}")
    first = viewer.get(reverse("study-list"), {"search": "many", "ordering": "name"})
    assert len(first.context["studies"]) == 50
    assert 'href="?search=many&amp;ordering=name&amp;page=2"' in first.content.decode()
    second = viewer.get(reverse("study-list"), {"search": "many", "ordering": "name", "page": 2})
    assert [s.name for s in second.context["studies"]] == ["many-50", "many-51", "many-52"]


class TestTheApi:
    def _names(self, cast, **query) -> list[str]:
        response = token_client(cast["viewer"]).get("/api/studies/", query)
        assert response.status_code == 200, response.json()
        return [study["name"] for study in response.json()["results"]]

    def test_it_takes_the_same_filters_and_lists_tags(self, cast, listed):
        listed["a"].tags.create(name="resnet")
        assert self._names(cast, tag="resnet") == ["resnet-lr-sweep"]
        assert self._names(cast, search="mlp", ordering="-name") == ["mlp-rerun", "mlp-baseline"]
        assert self._names(cast, state="running", optimizer="tpe") == ["mlp-rerun"]
        body = token_client(cast["viewer"]).get("/api/studies/", {"tag": "resnet"}).json()
        assert body["results"][0]["tags"] == ["resnet"]

    def test_its_default_order_is_by_id(self, cast, listed):
        assert self._names(cast) == ["resnet-lr-sweep", "mlp-baseline", "mlp-rerun"]

    def test_a_bad_filter_is_a_400_naming_the_field(self, cast):
        response = token_client(cast["viewer"]).get("/api/studies/", {"ordering": "secret"})
        assert response.status_code == 400 and "ordering" in response.json()

    def test_it_orders_by_trials_and_pages_with_each_studys_best_trial(self, cast, listed, monkeypatch):
        run_trials(listed["b"], [3.0, 2.0])
        monkeypatch.setattr(PageNumberPagination, "page_size", 2)  # read once, when DRF is imported
        client = token_client(cast["viewer"])
        first = client.get("/api/studies/", {"ordering": "-trials"}).json()
        assert [(s["name"], s["n_trials"]) for s in first["results"]] == [
            ("mlp-baseline", 2),
            ("mlp-rerun", 0),
        ]
        assert first["count"] == 3 and first["results"][0]["best"]["value"] == 2.0
        second = client.get(first["next"]).json()
        assert [(s["name"], s["best"]) for s in second["results"]] == [("resnet-lr-sweep", None)]


def test_each_blank_filter_says_what_it_leaves_open(viewer, listed):
    page = viewer.get(reverse("study-list")).content.decode()
    assert '<option value="" selected>any state</option>' in page
    assert '<option value="" selected>any optimizer</option>' in page
