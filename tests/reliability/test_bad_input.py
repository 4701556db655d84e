"""Bad input anywhere (API bodies, form posts, query strings), fuzzed: a 4xx, never a 5xx, nothing changed."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from studies.models import AuditEvent, Study, Trial
from studies.models import ParameterRecord as Parameter
from studies.models import SpaceRecord as SearchSpace
from tests.helpers import STUDY_BODY as BODY

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
odd_text = st.text(max_size=40) | st.sampled_from(
    ["-1", "0", "1e309", "nan", "../..", "<script>", "%00", "9" * 30]
)


def _stored() -> tuple:
    studies = tuple(Study.objects.order_by("pk").values_list("pk", "state", "max_trials", "name"))
    return (
        studies,
        Trial.objects.count(),
        SearchSpace.objects.count(),
        Parameter.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def api(cast):
    client = APIClient()
    client.force_authenticate(cast["editor"])
    return client


@pytest.fixture
def study(make_study):
    return make_study(name="fuzzed", start=False)


def _assert_refused(response, before: tuple) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert _stored() == before, "a refused request changed what is stored"


def test_fuzzed_api_bodies_get_a_4xx_with_a_message_and_change_nothing(api, study):
    @FUZZ
    @given(
        field=st.sampled_from(
            [
                *BODY,
                "start",
                "project",
                "job_settings",
                "pruner_settings",
                "optimizer_settings",
                "trial_timeout_s",
                "seed",
                "queue",
            ]
        ),
        value=json_values,
    )
    def post_one_bad_field(field, value):
        before = _stored()
        response = api.post("/api/studies/", {**BODY, "name": "fuzz", field: value}, format="json")
        _assert_refused(response, before)
        if response.status_code >= 400:
            assert response.json(), "a refusal says why"
        else:
            Study.objects.filter(name="fuzz").delete()

    post_one_bad_field()


def test_fuzzed_raw_bodies_and_controls_never_answer_5xx(api, study):
    @FUZZ
    @given(
        body=st.binary(max_size=200)
        | json_values.map(lambda v: json.dumps(v).encode())
        | st.sampled_from([b'{"name": NaN}', b'{"max_trials": Infinity}', b'{"space": -Infinity}']),
        path=st.sampled_from(
            [
                "/api/studies/",
                f"/api/studies/{study.pk}/pause/",
                f"/api/studies/{study.pk}/cancel/",
                f"/api/studies/{study.pk}/start/",
            ]
        ),
    )
    def post_raw(body, path):
        before = _stored()
        response = api.post(path, body, content_type="application/json")
        assert response.status_code < 500
        if response.status_code >= 400 or path == "/api/studies/":
            assert _stored()[1:] == before[1:] or response.status_code == 201

    post_raw()


def test_fuzzed_query_strings_on_pages_and_the_api_never_answer_5xx(client, cast, study):
    client.force_login(cast["viewer"])
    paths = [
        f"/studies/{study.pk}/",
        f"/studies/{study.pk}/live/",
        f"/studies/{study.pk}/history.json",
        f"/api/studies/{study.pk}/trials/",
        "/api/studies/",
        "/",
        "/workers/",
    ]

    @FUZZ
    @given(
        path=st.sampled_from(paths),
        query=st.dictionaries(
            st.sampled_from(["sort", "state", "page", "x", "log", "format", "limit"]), odd_text, max_size=4
        ),
    )
    def get_page(path, query):
        before = _stored()
        response = client.get(path, query)
        assert response.status_code < 500, (path, query)
        assert _stored() == before

    get_page()


def test_fuzzed_study_forms_get_the_form_back_with_errors_and_store_nothing(client, cast):
    client.force_login(cast["editor"])
    fields = [
        "name",
        "job",
        "job_settings",
        "direction",
        "metric",
        "optimizer",
        "seed",
        "pruner",
        "max_trials",
        "max_parallel",
        "max_retries",
        "max_consecutive_failures",
        "trial_timeout_s",
        "queue",
        "param-TOTAL_FORMS",
        "param-INITIAL_FORMS",
        "param-0-name",
        "param-0-kind",
        "param-0-low",
        "param-0-high",
        "param-0-choices",
    ]

    @FUZZ
    @given(data=st.dictionaries(st.sampled_from(fields), odd_text, max_size=12))
    def post_form(data):
        before = _stored()
        response = client.post("/studies/new/", data)
        assert response.status_code < 500, data
        if response.status_code == 200:
            assert _stored() == before

    post_form()
