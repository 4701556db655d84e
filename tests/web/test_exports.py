"""Exports (CSV, JSON, HTML report, admin zip), imports, warm starts and deletion."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from studies import services
from studies.models import ApiToken, AuditEvent, Project, Study, Trial
from studies.services import WorkerIdentity
from tests.helpers import TWO_OBJECTIVES, run_trials, two_objective_study

pytestmark = pytest.mark.django_db

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
    "layers": {"type": "int", "low": 1, "high": 4, "log": False},
    "opt": {"type": "categorical", "choices": ['=HYPERLINK("http://evil")', "adam", "@sum"]},
}


@pytest.fixture
def finished(make_study):
    study = make_study(
        name="exported",
        job="branin",
        space=SPACE,
        max_trials=4,
        max_parallel=4,
        optimizer="random",
        seed=3,
        description="-2 + 3",
        max_retries=0,
    )
    run_trials(study, [0.5, 0.25, None, 0.75])
    services.schedule_trials(study.pk)
    Study.objects.filter(pk=study.pk).update(note="# Findings\n\nlr matters")
    Trial.objects.filter(study=study, number=2).update(note="the best so far")
    study.refresh_from_db()
    return study


def _download(response) -> bytes:
    assert response.status_code == 200, response
    assert response.streaming
    return b"".join(response.streaming_content)


def test_the_csv_has_one_row_per_trial_with_its_parameters_and_neutralised_formulas(client, cast, finished):
    Trial.objects.filter(study=finished, number=3).update(error="=cmd|' /C calc'!A0")
    trial = finished.trials.get(number=1)
    Trial.objects.filter(pk=trial.pk).update(params={**trial.params, "opt": SPACE["opt"]["choices"][0]})
    client.force_login(cast["viewer"])
    body = _download(client.get(reverse("study-export", args=[finished.pk, "csv"]))).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:6] == ["number", "state", "value", "param_lr", "param_layers", "param_opt"]
    assert rows[0][6:] == ["created", "started", "finished", "duration_s", "attempts", "worker", "error"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[3][1] == "failed" and rows[3][-1] == "'=cmd|' /C calc'!A0"
    assert rows[1][5] == '\'=HYPERLINK("http://evil")'
    assert AuditEvent.objects.filter(
        action="export", study=finished, detail="csv", user=cast["viewer"]
    ).exists()


def test_the_json_export_holds_settings_space_trials_attempts_curves_and_notes(client, cast, finished):
    client.force_login(cast["viewer"])
    document = json.loads(_download(client.get(reverse("study-export", args=[finished.pk, "json"]))))
    assert document["format"] == "hpoweb-study" and document["version"] == 1
    assert document["study"]["optimizer"] == "random" and document["study"]["seed"] == 3
    assert document["study"]["note"] == "# Findings\n\nlr matters"
    assert document["space"] == finished.space.to_dict()
    trials = document["trials"]
    assert [t["number"] for t in trials] == [1, 2, 3, 4]
    assert trials[1]["note"] == "the best so far" and trials[1]["value"] == 0.25
    assert trials[1]["attempts"][0]["curve"] == [[0, 3.25], [1, 2.25], [2, 1.25]]
    assert trials[2]["state"] == "failed" and trials[2]["attempts"][0]["state"] == "failed"


@pytest.mark.e2e  # also on PostgreSQL, whose server-side cursors stream the export
def test_the_export_reads_a_fixed_number_of_queries_whatever_the_trial_count(client, cast, make_study):
    small = run_trials(make_study(name="small", max_trials=2, max_parallel=2), [1.0, 2.0])
    large = run_trials(
        make_study(name="large", max_trials=12, max_parallel=12), [float(i) for i in range(12)]
    )
    client.force_login(cast["viewer"])
    counts = []
    for study in (small, large):
        with CaptureQueriesContext(connection) as queries:
            _download(client.get(reverse("study-export", args=[study.pk, "json"])))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_api_exports_csv_and_json_with_a_token(cast, finished):
    _token, key = ApiToken.issue(cast["viewer"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = _download(api.get(f"/api/studies/{finished.pk}/export.csv", HTTP_ACCEPT="text/csv"))
    assert body.startswith(b"number,state,value")
    document = json.loads(_download(api.get(f"/api/studies/{finished.pk}/export.json")))
    assert len(document["trials"]) == 4
    assert _download(api.get(f"/api/studies/{finished.pk}/export/", {"format": "csv"})) == body
    assert (
        json.loads(_download(api.get(f"/api/studies/{finished.pk}/export/")))["trials"] == document["trials"]
    )
    _token, stranger = ApiToken.issue(cast["stranger"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {stranger}")
    assert api.get(f"/api/studies/{finished.pk}/export.json").status_code == 404


def _essence(document: dict) -> dict:
    """What a round trip must keep: everything but instance-specific names, ids and the export time."""
    study = {k: v for k, v in document["study"].items() if k not in ("name", "project", "owner", "created")}
    return {"study": study, "space": document["space"], "trials": document["trials"]}


@pytest.mark.e2e  # also on PostgreSQL, whose server-side cursors stream the export
def test_an_export_imported_into_another_project_gives_the_same_study(client, cast, finished):
    client.force_login(cast["staff"])
    exported = _download(client.get(reverse("study-export", args=[finished.pk, "json"])))
    other = Project.objects.get(name="Elsewhere")
    upload = io.BytesIO(exported)
    upload.name = "exported.json"
    response = client.post(reverse("study-import"), {"file": upload, "project": other.pk, "name": "copy"})
    copy = Study.objects.get(name="copy")
    assert response["Location"] == copy.get_absolute_url() and copy.project == other
    again = json.loads(_download(client.get(reverse("study-export", args=[copy.pk, "json"]))))
    assert _essence(again) == _essence(json.loads(exported))
    assert Study.objects.with_summary().get(pk=copy.pk).summary.best_trial.number == 2
    assert copy.trials.get(number=2).curve() == [
        (0, 3.25),
        (1, 2.25),
        (2, 1.25),
    ]


def test_a_running_study_is_imported_paused_with_its_active_trials_queued(cast, make_study, tmp_path):
    study = make_study(name="live", max_trials=3, max_parallel=3)
    study.set_state("running")
    ids = services.schedule_trials(study.pk)
    services.claim_trial(ids[0], WorkerIdentity.current("w"))
    path = tmp_path / "live.json"
    from studies.exports import json_chunks

    path.write_text("".join(json_chunks(study)))
    out = io.StringIO()
    call_command("import_study", str(path), "--project", "Imported", "--name", "live-copy", stdout=out)
    copy = Study.objects.get(name="live-copy")
    assert "3 trials" in out.getvalue() and copy.project.name == "Imported"
    assert copy.state == "paused" and set(copy.trials.values_list("state", flat=True)) == {"queued"}
    assert copy.trials.get(number=1).attempts.get().state == "interrupted"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"format": "other"}', "not an hpoweb study export"),
        (b'{"format": "hpoweb-study", "version": 99}', "unsupported export version"),
    ],
)
def test_a_bad_document_is_refused_with_a_reason_and_nothing_is_stored(cast, document, message):
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/studies/import/?project=Vision", document, content_type="application/json")
    assert response.status_code == 400 and message in " ".join(response.json()["document"])
    assert not Study.objects.exists()


def test_the_api_imports_into_an_editable_project_only(cast, finished):
    from studies.exports import json_chunks

    document = "".join(json_chunks(finished))
    _token, key = ApiToken.issue(cast["viewer"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/studies/import/?project=Vision&name=x", document, content_type="application/json"
    )
    assert response.status_code == 400 and "project" in response.json()
    _token, key = ApiToken.issue(cast["editor"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/studies/import/?project=Vision&name=x", document, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["n_trials"] == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_trials": "many"}, "max_trials"),
        ({"direction": "sideways"}, "direction"),
        ({"optimizer": "magic"}, "optimizer"),
        ({"pruner_settings": [1]}, "pruner_settings"),
    ],
)
def test_bad_study_settings_are_refused(cast, finished, change, message):
    from studies.exports import json_chunks

    document = json.loads("".join(json_chunks(finished)))
    document["study"].update(change)
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/studies/import/?name=x", json.dumps(document), content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {message}
    assert not Study.objects.filter(name="x").exists()


def _set(path: str, value):
    """A change to a document: set the value at a dotted path (list indexes as numbers)."""

    def change(document: dict) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target = document
        for key in parents:
            target = target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set("trials.0.number", 2),
        _set("trials.0.number", "one"),
        _set("trials.0.state", "exploded"),
        _set("trials.0.value", "fast"),
        _set("trials.0.n_attempts", "x"),
        _set("trials.0.started", "yesterday"),
        _set("trials.0.attempts", {"number": 1}),
        _set("trials.0.attempts.0.state", "zombie"),
        _set("trials.0.attempts.0.curve", [[0, 1.0], [0, 2.0]]),
        _set("trials.0.attempts.0.curve", [["a", 1.0]]),
        _set("trials.1.attempts.0.number", "2"),
        _set("trials", {}),
        _set("space", {"x": {"type": "float", "low": 1, "high": 0}}),
        _set("study.state", "sleeping"),
    ],
)
def test_a_damaged_document_is_refused_with_400_never_a_crash(cast, finished, change):
    from studies.exports import json_chunks

    document = json.loads("".join(json_chunks(finished)))
    change(document)
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/studies/import/?name=x", json.dumps(document), content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Study.objects.filter(name="x").exists()


def test_the_api_imports_a_document_larger_than_djangos_body_limit(cast, finished, settings):
    from studies.exports import json_chunks

    document = json.loads("".join(json_chunks(finished)))
    document["trials"][0]["error"] = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/studies/import/?name=big", json.dumps(document), content_type="application/json"
    )
    assert response.status_code == 201, response.content[:300]
    big = Study.objects.get(name="big").trials.get(number=document["trials"][0]["number"])
    assert len(big.error) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


def test_a_trial_outside_the_space_is_refused(cast, finished):
    from studies.exports import json_chunks

    document = json.loads("".join(json_chunks(finished)))
    document["trials"][0]["params"]["layers"] = 99
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/studies/import/?name=x", json.dumps(document), content_type="application/json")
    assert response.status_code == 400 and "trial 1" in " ".join(response.json()["document"])
    assert not Study.objects.filter(name="x").exists()


def test_a_warm_start_copies_the_complete_trials_first_and_runs_the_new_budget(client, cast, finished):
    client.force_login(cast["editor"])
    response = client.post(
        reverse("study-warm-start", args=[finished.pk]),
        {"name": "warm", "project": finished.project_id, "max_trials": "5"},
    )
    warm = Study.objects.get(name="warm")
    assert response["Location"] == warm.get_absolute_url()
    copied = list(warm.trials.order_by("number").values_list("number", "state", "value"))
    assert copied == [(1, "complete", 0.5), (2, "complete", 0.25), (3, "complete", 0.75)]
    assert warm.max_trials == 8 and warm.state == "draft"
    history, pending = services.optimizer_inputs(warm)
    assert [v for _p, v in history] == [0.5, 0.25, 0.75] and pending == []
    warm.set_state("running")
    assert len(services.schedule_trials(warm.pk)) == 4
    assert warm.trials.count() == 7


def test_a_warm_start_into_a_compatible_space_keeps_the_trials_that_fit(cast, finished):
    _token, key = ApiToken.issue(cast["editor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    space = {"lr": {"type": "float", "low": 0.3, "high": 1.0}, "layers": {"type": "int", "low": 1, "high": 4}}
    response = api.post(
        f"/api/studies/{finished.pk}/warm-start/",
        {"name": "narrow", "space": space, "max_trials": 2},
        format="json",
    )
    assert response.status_code == 201, response.json()
    narrow = Study.objects.get(name="narrow")
    kept = [t.params for t in narrow.trials.all()]
    assert all(set(p) == {"lr", "layers"} and p["lr"] >= 0.3 for p in kept)
    assert narrow.max_trials == 2 + len(kept)


def test_a_warm_start_page_accepts_a_compatible_space_and_reports_a_bad_one(client, cast, finished):
    client.force_login(cast["editor"])
    url = reverse("study-warm-start", args=[finished.pk])
    form = {"name": "narrow-page", "project": finished.project_id, "max_trials": "2"}
    bad = client.post(url, {**form, "space": '{"lr": {"type": "float", "low": 1, "high": 0}}'})
    assert bad.status_code == 200 and "low" in str(bad.context["form"].errors["space"])
    client.post(url, {**form, "space": '{"layers": {"type": "int", "low": 1, "high": 4}}'})
    narrow = Study.objects.get(name="narrow-page")
    assert narrow.space.to_dict() == {"layers": {"type": "int", "low": 1, "high": 4, "log": False}}
    assert narrow.trials.count() == 3 and all(set(t.params) == {"layers"} for t in narrow.trials.all())


def test_a_viewer_may_warm_start_only_into_a_project_they_edit(cast, finished):
    _token, key = ApiToken.issue(cast["viewer"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(f"/api/studies/{finished.pk}/warm-start/", {"name": "nope"}, format="json")
    assert response.status_code == 400 and not Study.objects.filter(name="nope").exists()


def test_the_html_report_is_one_offline_file(client, cast, finished):
    client.force_login(cast["viewer"])
    response = client.get(reverse("study-report", args=[finished.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "Plotly" in page and 'id="figure-history"' in page and "lr matters" in page
    outside_scripts = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    assert " src=" not in outside_scripts and "<link" not in outside_scripts
    assert len(re.findall(r"<script>", page)) == 2 and re.search(r"<script>[^<]*Plotly", page)
    assert AuditEvent.objects.filter(action="export", detail="html report").exists()


def test_the_report_reads_like_the_pages_numbers_space_and_trial_counts(client, cast, make_study):
    space = {
        "model": {"type": "categorical", "choices": ["svm", "mlp"]},
        "c": {"type": "float", "low": 1e-3, "high": 1e3, "log": True, "when": {"model": ["svm"]}},
    }
    study = make_study(name="tree", job="external", space=space, max_trials=2, max_parallel=2, max_retries=0)
    study = run_trials(study, [0.1 + 0.2, None])
    study.trials.filter(number=1).update(params={"model": "mlp"})
    client.force_login(cast["viewer"])
    page = client.get(reverse("study-report", args=[study.pk])).content.decode()
    assert "<code>c</code>: float [0.001, 1000] log when model in svm" in page
    assert 'id="counts">1 complete, 1 failed<' in page
    row = page.split('id="leaderboard"')[1].split("<tbody>")[1].split("</tr>")[0]
    assert '<td class="num">0.3</td>' in row and '<td class="num">—</td>' in row  # c: not on this branch
    assert "None" not in row and "0.30000000000000004" not in page


def test_a_constrained_studys_report_ranks_trials_that_keep_the_constraints_first(client, cast, make_study):
    study = two_objective_study(
        make_study,
        [{"error": 0.1, "latency": 1.0, "memory": 9.0}, {"error": 0.5, "latency": 1.0, "memory": 2.0}],
        objectives=TWO_OBJECTIVES[:1],
    )
    client.force_login(cast["viewer"])
    page = client.get(reverse("study-report", args=[study.pk])).content.decode()
    board = page.split('id="leaderboard"')[1].split("</table>")[0]
    assert "<th>Feasible</th>" in board
    first, second = board.split("<tbody>")[1].split("</tr>")[:2]
    assert first.startswith("\n      <tr><td>2</td>") and "<td>yes</td>" in first
    assert "<td>1</td>" in second and '<span class="infeasible">no</span>' in second


def test_the_admin_exports_selected_studies_as_one_zip(client, cast, finished, make_study):
    other = make_study(name="second")
    client.force_login(cast["staff"])
    response = client.post(
        reverse("admin:studies_study_changelist"),
        {"action": "export_studies", "_selected_action": [finished.pk, other.pk]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as bundle:
        names = sorted(bundle.namelist())
        documents = [json.loads(bundle.read(n)) for n in names]
    assert sorted(d["study"]["name"] for d in documents) == ["exported", "second"]


def test_an_editor_deletes_a_study_and_the_audit_log_keeps_its_name(client, cast, finished):
    client.force_login(cast["viewer"])
    assert client.post(reverse("study-delete", args=[finished.pk])).status_code == 404
    client.force_login(cast["editor"])
    assert "Delete exported?" in client.get(reverse("study-delete", args=[finished.pk])).content.decode()
    assert client.post(reverse("study-delete", args=[finished.pk]))["Location"] == reverse("study-list")
    assert not Study.objects.filter(pk=finished.pk).exists() and not Trial.objects.exists()
    event = AuditEvent.objects.get(action="delete")
    assert event.user == cast["editor"] and "exported" in event.detail


def test_the_delete_page_links_the_exports_it_advises_and_counts_one_trial_in_the_singular(
    client, cast, make_study
):
    study = run_trials(make_study(name="single", max_trials=1, max_parallel=1), [1.0])
    client.force_login(cast["editor"])
    page = client.get(reverse("study-delete", args=[study.pk])).content.decode()
    assert "Its 1 trial, their attempts" in page
    for url in (
        reverse("study-export", args=[study.pk, "json"]),
        reverse("study-export", args=[study.pk, "csv"]),
        reverse("study-report", args=[study.pk]),
    ):
        assert f'href="{url}"' in page


def test_the_api_deletes_for_editors_only(cast, make_study):
    study = make_study()
    api = APIClient()
    for who, expected in (("viewer", 404), ("stranger", 404), ("editor", 204)):
        _token, key = ApiToken.issue(cast[who])
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api.delete(f"/api/studies/{study.pk}/").status_code == expected
    assert not Study.objects.filter(pk=study.pk).exists()


def test_the_import_page_starts_with_a_project_chosen(client, cast):
    """As the new-study form does: a required project offers no blank choice to trip over."""
    client.force_login(cast["editor"])
    page = client.get(reverse("study-import")).content.decode()
    assert 'value="">---------' not in page
    assert re.search(r'<option value="\d+" selected>', page)
