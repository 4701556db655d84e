"""A page that is not there, or that failed, still looks like hpoweb and leads back to the studies
(with DEBUG off, as a deployment runs)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import server_error

from tests.helpers import run_trials

pytestmark = pytest.mark.django_db

BACK = f'<a href="{reverse("study-list")}">← Back to the studies</a>'


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@override_settings(DEBUG=False)
def test_a_missing_trial_or_study_or_page_gets_the_sites_not_found_page(cast, make_study):
    study = run_trials(make_study(max_trials=1, max_parallel=1), [1.0])
    missing = [
        reverse("trial-detail", args=[study.pk, 99]),
        reverse("study-detail", args=[study.pk + 1]),
        "/no/such/page/",
    ]
    for url in missing:
        response = _client(cast["viewer"]).get(url)
        page = response.content.decode()
        assert response.status_code == 404, url
        assert "<h1>Page not found</h1>" in page and BACK in page, url
        assert 'class="brand"' in page and "Log out viewer" in page, url  # the site's header and menu


@override_settings(DEBUG=False)
def test_a_stranger_is_told_not_found_as_for_a_study_that_does_not_exist(cast, make_study):
    study = run_trials(make_study(name="secret-resnet", max_trials=1, max_parallel=1), [1.0])
    hidden = _client(cast["stranger"]).get(study.trials.get().get_absolute_url())
    absent = _client(cast["stranger"]).get(reverse("trial-detail", args=[study.pk + 1, 1]))
    assert hidden.status_code == absent.status_code == 404
    for response in (hidden, absent):
        assert "<h1>Page not found</h1>" in response.content.decode()
    assert study.name not in hidden.content.decode()


@override_settings(DEBUG=False)
def test_a_server_error_gets_the_sites_error_page_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in page and BACK in page and 'class="brand"' in page
    assert "hpoweb.css" in page
