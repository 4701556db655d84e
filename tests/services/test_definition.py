"""One study definition, checked once: the form, the API, import and warm start refuse the same bad
definitions with the same field paths, and the declared limits hold everywhere."""

from __future__ import annotations

import json
import time

import pytest

from studies import services
from studies.definition import LIMITS, DefinitionError, check_definition
from studies.exports import json_chunks
from studies.jobs.builtins import SPACES
from studies.models import Membership, Project, Study
from tests.harness import ROOT
from tests.helpers import run_trials, token_client

GOOD = {
    "name": "fresh",
    "job": "branin",
    "space": SPACES["branin"],
    "optimizer": "gp",
    "max_trials": 12,
    "max_parallel": 2,
}

# (change to GOOD, the path of the problem)
BAD = [
    ({"max_trials": 0}, "max_trials"),
    ({"max_trials": 10**9}, "max_trials"),
    ({"max_parallel": 0}, "max_parallel"),
    ({"max_parallel": 13}, "max_parallel"),
    ({"max_retries": 101}, "max_retries"),
    ({"max_consecutive_failures": 2**31}, "max_consecutive_failures"),
    ({"seed": 2**31}, "seed"),
    ({"trial_timeout_s": 0.0}, "trial_timeout_s"),
    ({"description": "d" * 20_001}, "description"),
    ({"metric": ""}, "metric"),
    ({"metric": "lo\x00ss"}, "metric"),  # PostgreSQL refuses NUL in a text or JSON column
    ({"description": "\x00"}, "description"),
    ({"direction": "sideways"}, "direction"),
    ({"optimizer": "magic"}, "optimizer"),
    ({"optimizer_settings": {"xi": -1.0}}, "optimizer_settings.xi"),
    ({"optimizer_settings": {"nope": 1}}, "optimizer_settings.nope"),
    ({"pruner": "asha", "pruner_settings": {"reduction_factor": 1}}, "pruner_settings.reduction_factor"),
    ({"job_settings": {"steps": -1}}, "job_settings.steps"),
    ({"job_settings": {"nope": 1}}, "job_settings.nope"),
    ({"job": "command:nope"}, "job"),
    ({"space": {"x1": {"type": "float", "low": 1.0}}}, "space.x1.high"),
    ({"space": {"x1": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}}, "space.x1.low"),
    ({"space": {"x1": {"type": "categorical", "choices": ["a", "a"]}}}, "space.x1.choices"),
    ({"space": {"x1": {"type": "categorical", "choices": ["c" * 201]}}}, "space.x1.choices"),
    ({"space": {"x1": {"type": "categorical", "choices": ["a", "b\x00"]}}}, "space.x1.choices"),
    # a command job gets each parameter in HPOWEB_PARAM_<NAME>: `lr` and `LR`, or `λ` and `μ`, would share one
    (
        {
            "space": {
                "lr": {"type": "float", "low": 0.0, "high": 1.0},
                "LR": {"type": "float", "low": 0.0, "high": 1.0},
            }
        },
        "space.LR.name",
    ),
    (
        {
            "space": {
                "λ": {"type": "float", "low": 0.0, "high": 1.0},
                "μ": {"type": "float", "low": 0.0, "high": 1.0},
            }
        },
        "space.μ.name",
    ),
]


def _paths_from_api(client, change: dict) -> set[str]:
    response = client.post("/api/studies/", {**GOOD, **change}, format="json")
    assert response.status_code == 400, response.content
    return set(response.json())


def _paths_from_import(client, source: Study, change: dict) -> set[str]:
    document = json.loads("".join(json_chunks(source)))
    document["study"].update({k: v for k, v in change.items() if k != "space"}, name="fresh")
    document["space"] = change.get("space", document["space"])
    document["trials"] = []
    response = client.post("/api/studies/import/?project=Vision", document, format="json")
    assert response.status_code == 400, response.content
    return set(response.json())


def _paths_from_warm_start(client, source: Study, change: dict) -> set[str]:
    response = client.post(
        f"/api/studies/{source.pk}/warm-start/", {"name": "fresh", **change}, format="json"
    )
    assert response.status_code == 400, response.content
    return set(response.json())


def _form_data(project: Project, change: dict) -> dict:
    """What a browser posts for GOOD with `change`, in the form's field names."""
    values = {**GOOD, **change}
    data = {
        "name": values["name"],
        "description": values.get("description", ""),
        "project": project.pk,
        "job": values["job"],
        "job_settings": json.dumps(values.get("job_settings", {})),
        "direction": values.get("direction", "minimize"),
        "metric": values.get("metric", "loss"),
        "optimizer": values["optimizer"],
        "seed": values.get("seed", 0),
        "pruner": values.get("pruner", "none"),
        "max_trials": values["max_trials"],
        "max_parallel": values["max_parallel"],
        "max_retries": values.get("max_retries", 1),
        "max_consecutive_failures": values.get("max_consecutive_failures", 5),
        "trial_timeout_s": values.get("trial_timeout_s", ""),
        "queue": "hpoweb",
    }
    for group, key in (("opt", "optimizer"), ("pruner", "pruner")):
        for setting, value in values.get(f"{key}_settings", {}).items():
            data[f"{group}__{values[key]}__{setting}"] = value
    rows = list(values["space"].items())
    data.update({"param-TOTAL_FORMS": len(rows), "param-INITIAL_FORMS": 0})
    for i, (name, spec) in enumerate(rows):
        data[f"param-{i}-name"] = name
        data[f"param-{i}-type"] = spec["type"]
        for key in ("low", "high", "step"):
            if key in spec:
                data[f"param-{i}-{key}"] = spec[key]
        if spec.get("log"):
            data[f"param-{i}-log"] = "on"
        if "choices" in spec:
            data[f"param-{i}-choices"] = ",".join(str(c) for c in spec["choices"])
    return data


def _form_shows(response, path: str) -> bool:
    """Whether the form put an error where `path` points: its field, a setting's field or a space row."""
    form, formset = response.context["form"], response.context["formset"]
    head, _, rest = path.partition(".")
    if head == "space":
        name, _, key = rest.partition(".")
        # by the name as posted: an error on the name field takes it out of `cleaned_data`
        rows = [f for f in formset.forms if f.data.get(f.add_prefix("name")) == name]
        return bool(rows) and key in rows[0].errors
    if head in ("optimizer_settings", "pruner_settings") and rest:
        group, owner = (
            ("opt", form.data["optimizer"])
            if head == "optimizer_settings"
            else ("pruner", form.data["pruner"])
        )
        return f"{group}__{owner}__{rest}" in form.errors
    return head in form.errors


@pytest.fixture
def source(make_study):
    return make_study(name="source", job="branin", space=SPACES["branin"], max_trials=12)


@pytest.mark.parametrize(("change", "path"), BAD, ids=[p for _c, p in BAD])
def test_the_form_the_api_import_and_warm_start_give_the_same_path(
    client, cast, project, source, change, path
):
    api = token_client(cast["editor"])
    assert _paths_from_api(api, change) == {path}
    assert _paths_from_import(api, source, change) == {path}
    if "job" not in change:  # a warm start keeps the source's job unless told otherwise
        assert _paths_from_warm_start(api, source, change) == {path}
    if path != "optimizer_settings.nope":  # the form has no field for an unknown setting
        client.force_login(cast["editor"])
        response = client.post("/studies/new/", _form_data(project, change))
        assert response.status_code == 200 and _form_shows(response, path), response.context["form"].errors
    assert set(Study.objects.values_list("name", flat=True)) == {"source"}


def test_a_good_definition_is_created_the_same_through_the_form_and_the_api(client, cast, project):
    token_client(cast["editor"]).post("/api/studies/", {**GOOD, "name": "by-api"}, format="json")
    client.force_login(cast["editor"])
    response = client.post("/studies/new/", _form_data(project, {"name": "by-form"}))
    assert response.status_code == 302
    by_api, by_form = (Study.objects.get(name=n) for n in ("by-api", "by-form"))
    for field in ("job", "optimizer", "max_trials", "max_parallel", "seed", "pruner", "direction", "metric"):
        assert getattr(by_api, field) == getattr(by_form, field), field
    assert by_api.space.to_dict() == by_form.space.to_dict()


def test_a_user_who_may_not_create_is_refused_before_the_space_is_parsed(cast):
    huge = {"x": {"type": "categorical", "choices": [f"c{i}" for i in range(200_000)]}}
    started = time.perf_counter()
    response = token_client(cast["viewer"]).post("/api/studies/", {**GOOD, "space": huge}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"project"}
    with pytest.raises(DefinitionError) as refused:
        check_definition(cast["stranger"], {**GOOD, "project": "Vision", "space": huge})
    assert set(refused.value.errors) == {"project"}
    # The refusal reads nothing of the space; a generous bound for a loaded machine.
    assert time.perf_counter() - started < 5


def test_the_form_says_the_declared_minimum_and_maximum_in_its_html(client, cast):
    client.force_login(cast["editor"])
    page = client.get("/studies/new/").content.decode()
    for key in ("max_trials", "max_parallel", "max_retries", "seed"):
        limit = LIMITS[key]
        tag = next(line for line in page.split("<input") if f'name="{key}"' in line)
        assert f'min="{limit.low}"' in tag and f'max="{limit.high}"' in tag, tag


def test_study_names_are_unique_within_a_project_only(cast, project):
    api = token_client(cast["editor"])
    assert api.post("/api/studies/", GOOD, format="json").status_code == 201
    again = api.post("/api/studies/", GOOD, format="json")
    assert again.status_code == 400 and set(again.json()) == {"name"}
    # A stranger using the same name in their own project learns nothing and is not stopped.
    theirs = token_client(cast["stranger"]).post(
        "/api/studies/", {**GOOD, "project": "Elsewhere"}, format="json"
    )
    assert theirs.status_code == 201
    assert Study.objects.filter(name=GOOD["name"]).count() == 2


def test_a_warm_start_may_not_raise_the_budget_above_the_limit(cast, source):
    Study.objects.filter(pk=source.pk).update(max_trials=LIMITS["max_trials"].high)
    services.start_study(source)
    response = token_client(cast["editor"]).post(
        f"/api/studies/{source.pk}/warm-start/", {"name": "w", "max_trials": 1_000_000}, format="json"
    )
    assert response.status_code in (201, 400)
    if response.status_code == 201:  # nothing copied (the source has no complete trial)
        assert response.json()["max_trials"] <= LIMITS["max_trials"].high


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD, "max_trials": 10**400},
        {**GOOD, "seed": 10**30},
        {**GOOD, "trial_timeout_s": 1e308 * 10},
        {**GOOD, "optimizer_settings": {"xi": 10**400}},
        {**GOOD, "space": {"x": {"type": "int", "low": 0, "high": 10**30}}},
        {**GOOD, "space": {"x": {"type": "float", "low": -(10**400), "high": 10**400}}},
        {
            **GOOD,
            "space": {
                "n": {"type": "int", "low": 0, "high": 3},
                "x": {**SPACES["branin"]["x1"], "when": {"n": [10**400]}},
            },
        },
    ],
)
def test_numbers_that_cannot_be_stored_are_a_400(cast, body):
    response = token_client(cast["editor"]).post(
        "/api/studies/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert not Study.objects.exists()


def test_json_nested_too_deeply_is_a_400_everywhere(cast, source):
    deep = "[" * 5000 + "]" * 5000
    api = token_client(cast["editor"])
    for url in (
        "/api/studies/",
        "/api/studies/import/?project=Vision",
        f"/api/studies/{source.pk}/warm-start/",
    ):
        response = api.post(url, deep, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
    assert set(Study.objects.values_list("name", flat=True)) == {"source"}


def test_a_string_with_a_lone_surrogate_is_a_400_everywhere(cast, source):
    """JSON may escape half of a UTF-16 pair (`"\\ud800"`); no database or page can store or show it."""
    document = json.loads("".join(json_chunks(source)))
    document["study"]["description"] = "\ud800"
    api = token_client(cast["editor"])
    for url, body, content_type in (
        ("/api/studies/", {**GOOD, "space": {"x": {"type": "categorical", "choices": ["\udfff"]}}}, "json"),
        ("/api/studies/import/?project=Vision&name=copy", document, "json"),
        (f"/api/studies/{source.pk}/warm-start/", {"name": "\ud800"}, "json"),
        ("/api/studies/", {**GOOD, "name": "\ud800"}, "yaml"),
    ):
        raw = json.dumps(body)  # JSON is YAML; `ensure_ascii` writes the escape
        response = api.post(url, raw, content_type=f"application/{content_type}")
        assert response.status_code == 400, (url, response.content)
    assert set(Study.objects.values_list("name", flat=True)) == {"source"}


def test_an_import_naming_a_key_twice_is_a_400(cast, exported):
    first_x1 = '"x1": {"type": "int", "low": 0, "high": 9}, '
    raw = json.dumps(exported).replace('"space": {', '"space": {' + first_x1, 1)
    response = token_client(cast["editor"]).post(
        "/api/studies/import/?project=Vision&name=copy", raw, content_type="application/json"
    )
    assert response.status_code == 400 and "'x1'" in str(response.json())
    assert not Study.objects.filter(name="copy").exists()


def _import(api, document: dict):
    return api.post(
        "/api/studies/import/?project=Vision&name=copy", json.dumps(document), content_type="application/json"
    )


@pytest.fixture
def exported(source) -> dict:
    run_trials(source, [1.0, 2.0], curve_steps=2)
    return json.loads("".join(json_chunks(source)))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["trials"][0].update(number=10**30),
        lambda d: d["trials"][0].update(n_attempts=10**30),
        lambda d: d["trials"][0].update(value=10**400),
        lambda d: d["trials"][0]["attempts"][0].update(number=-1),
        lambda d: d["trials"][0]["attempts"][0].update(pid=10**30),
        lambda d: d["trials"][0]["attempts"][0].update(curve=[[10**30, 1.0]]),
        lambda d: d["trials"][0].update(started="2024-02-30T10:00:00"),
        lambda d: d["trials"][0]["attempts"][0].update(claimed="2024-13-01T10:00:00"),
        lambda d: d["trials"][0].update(note="n" * 20_001),
        lambda d: d["study"].update(note="n" * 10_000_000),
        lambda d: d["trials"][0].update(suggestion={"ei": float("nan")}),  # json.dumps writes NaN
        lambda d: d["trials"][0].update(error="Traceback\x00"),  # PostgreSQL cannot store NUL
        lambda d: d["trials"][0]["attempts"][0].update(reason="\x00"),
        lambda d: d["study"].update(state_reason="\x00"),
    ],
)
def test_an_import_with_numbers_or_dates_that_cannot_be_stored_is_a_400(cast, exported, damage):
    damage(exported)
    response = _import(token_client(cast["editor"]), exported)
    assert response.status_code == 400, response.content
    assert not Study.objects.filter(name="copy").exists()


def test_ask_tell_ids_that_cannot_be_stored_are_a_400(cast, make_study):
    study = make_study(name="ext", job="external", space=SPACES["branin"], max_trials=3)
    services.start_study(study)
    api = token_client(cast["editor"])
    handout = api.post(f"/api/studies/{study.pk}/ask/", {}, format="json").json()
    response = api.post(
        f"/api/trials/{handout['trial_id']}/tell/", {"attempt_id": 10**30, "value": 1.0}, format="json"
    )
    assert response.status_code == 400


def test_every_declared_limit_is_documented():
    text = (ROOT / "docs" / "limits.md").read_text()
    for key, limit in LIMITS.items():
        assert f"`{key}`" in text and f"{limit.high:,}" in text, key


def test_a_project_editor_who_is_a_viewer_elsewhere_cannot_create_there(cast):
    other = Project.objects.get(name="Elsewhere")
    Membership.objects.create(project=other, user=cast["editor"], role=Membership.Role.VIEWER)
    response = token_client(cast["editor"]).post(
        "/api/studies/", {**GOOD, "project": "Elsewhere"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"project"}
