"""The pages: login everywhere, a study created through the form, errors beside their fields."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from studies.models import Study
from tests.helpers import study_form

pytestmark = pytest.mark.django_db


def test_every_page_needs_a_login(client, make_study):
    study = make_study()
    for url in [
        reverse("study-list"),
        reverse("study-create"),
        study.get_absolute_url(),
        reverse("study-history", args=[study.pk]),
        reverse("study-live", args=[study.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_an_editor_creates_a_study_through_the_form(client, cast, project):
    client.force_login(cast["editor"])
    data = study_form(
        project=str(project.pk),
        **{
            "param-TOTAL_FORMS": "3",
            "param-2-name": "opt",
            "param-2-type": "categorical",
            "param-2-choices": "sgd, adam",
            "param-1-log": "",
            "opt__random__sobol": "on",
        },
    )
    response = client.post(reverse("study-create"), data)
    study = Study.objects.get(name="digits-random")
    assert response.status_code == 302 and response["Location"] == study.get_absolute_url()
    assert study.space.to_dict() == {
        "x1": {"type": "float", "low": -5.0, "high": 10.0, "log": False},
        "x2": {"type": "float", "low": 0.0, "high": 15.0, "log": False},
        "opt": {"type": "categorical", "choices": ["sgd", "adam"]},
    }
    assert study.owner == cast["editor"] and study.optimizer_settings == {"sobol": True}
    assert study.job_settings["steps"] == 0


def test_a_bad_parameter_row_is_reported_on_that_row_and_nothing_is_stored(client, cast, project):
    client.force_login(cast["editor"])
    data = study_form(project=str(project.pk), **{"param-1-low": "20"})
    response = client.post(reverse("study-create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "parameter &#x27;x2&#x27;: low (20.0) must be less than high (15.0)" in page
    assert not Study.objects.exists()


def test_a_bad_optimizer_setting_is_reported_on_its_field(client, cast, project):
    client.force_login(cast["editor"])
    response = client.post(
        reverse("study-create"),
        study_form(project=str(project.pk), optimizer="grid", **{"opt__grid__grid_points": "0"}),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["opt__grid__grid_points"]
    assert not Study.objects.exists()


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("job_settings", '{"\\ud800": 1}'),
        ("objectives", '[{"metric": "\\udfff"}]'),
        ("job_settings", "[" * 5000 + "]" * 5000),
        ("constraints", "[" * 5000 + "]" * 5000),
    ],
)
def test_json_typed_into_a_field_that_is_not_text_or_nested_too_deeply_is_an_error_on_it(
    client, cast, project, field, text
):
    client.force_login(cast["editor"])
    response = client.post(reverse("study-create"), study_form(project=str(project.pk), **{field: text}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Study.objects.exists()


def test_a_check_across_pruner_settings_is_reported_on_the_setting_it_names(client, cast, project):
    client.force_login(cast["editor"])
    fields = {"pruner__hyperband__min_resource": "10", "pruner__hyperband__max_resource": "3"}
    response = client.post(
        reverse("study-create"), study_form(project=str(project.pk), pruner="hyperband", **fields)
    )
    assert response.status_code == 200
    assert "at least min_resource" in response.context["form"].errors["pruner__hyperband__max_resource"][0]
    assert not Study.objects.exists()


def test_a_viewer_cannot_create_or_control_studies(client, cast, make_study):
    study = make_study()
    client.force_login(cast["viewer"])
    assert client.get(reverse("study-create")).status_code == 302
    assert client.post(reverse("study-action", args=[study.pk, "start"])).status_code == 404
    study.refresh_from_db()
    assert study.state == "draft"


def test_a_stranger_gets_404_for_another_projects_study(client, cast, make_study):
    study = make_study(name="secret-vision-study")
    client.force_login(cast["stranger"])
    assert client.get(study.get_absolute_url()).status_code == 404
    assert client.get(reverse("study-history", args=[study.pk])).status_code == 404
    assert study.name.encode() not in client.get(reverse("study-list")).content


def test_the_study_page_shows_the_leaderboard_best_first(client, cast, make_study):
    from studies import services
    from studies.services import Outcome, WorkerIdentity

    study = make_study(max_trials=4, max_parallel=4)
    study.set_state("running")
    for trial_id, value in zip(services.schedule_trials(study.pk), [3.0, 1.0, 2.0, 5.0], strict=True):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("t"))
        services.finish_attempt(attempt.pk, Outcome("complete", value=value))
    client.force_login(cast["viewer"])
    response = client.get(study.get_absolute_url())
    assert response.status_code == 200
    values = [t.value for t, _ in response.context["rows"]]
    assert values == [1.0, 2.0, 3.0, 5.0]
    history = client.get(reverse("study-history", args=[study.pk])).json()
    best = [t for t in history["figure"]["data"] if t["name"] == "best so far"][0]
    assert best["y"] == [3.0, 1.0, 1.0, 1.0]
    assert client.get(study.get_absolute_url(), {"sort": "-param:x1"}).status_code == 200
    assert client.get(study.get_absolute_url(), {"sort": "nonsense"}).status_code == 404


def test_pause_and_resume_from_the_page(client, cast, make_study):
    study = make_study()
    client.force_login(cast["editor"])
    client.post(reverse("study-action", args=[study.pk, "start"]))
    study.refresh_from_db()
    assert study.state == "running"
    client.post(reverse("study-action", args=[study.pk, "pause"]))
    study.refresh_from_db()
    assert study.state == "paused"
    client.post(reverse("study-action", args=[study.pk, "resume"]))
    study.refresh_from_db()
    assert study.state == "running"


def test_the_new_study_form_reads_as_a_person_expects(client, cast):
    """Blank objective and constraint boxes (not `null`), and each optimizer setting labelled with its
    own name as the API spells it (not the form's internal `opt_random_sobol`)."""
    client.force_login(cast["editor"])
    form = client.get(reverse("study-create")).content.decode()
    for name in ("objectives", "constraints"):
        assert re.search(f'<textarea name="{name}"[^>]*>\\s*</textarea>', form), name
    assert '<span>sobol</span> <input type="checkbox" name="opt__random__sobol"' in form
    assert "Opt random sobol" not in form
    assert "Trial timeout (s)" in form


def test_the_form_help_reads_as_text_not_markdown(client, cast):
    client.force_login(cast["editor"])
    page = client.get(reverse("study-create")).content.decode()
    assert "Only workers started with -Q and this name (e.g. -Q gpu) run its trials." in page
    assert "`-Q" not in page, "backticks are shown as they are: the help is plain text"
