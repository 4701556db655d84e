"""Schema changes keep every existing study: migrated forward from the last release's schema."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("studies", "0002_attempt_log")]
AFTER = [("studies", "0003_layout")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Other tests expect the newest schema: put it back whatever a test migrated to."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_layout_migration_keeps_a_study_its_space_and_its_analysis_throttle():
    old = _migrate(BEFORE)
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SearchSpace").objects.create()
    old.get_model("studies", "Parameter").objects.create(
        space=space, position=0, name="lr", kind="float", low=1e-4, high=1.0, log=True
    )
    study = old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin"
    )
    analyses = old.get_model("studies", "StudyAnalysis").objects
    analyses.create(study=study, kind="requested", n_trials=0, data={"seconds": 2.5})
    analyses.create(study=study, kind="importance", n_trials=7, data={"ped_anova": {}})

    new = _migrate(AFTER)
    kept = new.get_model("studies", "Study").objects.get(name="kept")
    parameter = new.get_model("studies", "ParameterRecord").objects.get(space_id=kept.space_id)
    assert (parameter.name, parameter.low, parameter.high, parameter.log) == ("lr", 1e-4, 1.0, True)
    assert kept.analysis_seconds == 2.5 and kept.analysis_requested is not None
    kinds = set(new.get_model("studies", "StudyAnalysis").objects.values_list("kind", flat=True))
    assert kinds == {"importance"}, "the throttle is no longer a row among the results"


def test_existing_command_jobs_accept_the_parameters_their_studies_already_pass():
    old = _migrate([("studies", "0003_layout")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    old.get_model("studies", "CommandJob").objects.create(name="train", argv=["python", "train.py"])
    old.get_model("studies", "CommandJob").objects.create(name="unused", argv=["true"])
    space = old.get_model("studies", "SpaceRecord").objects.create()
    for position, name in enumerate(("units", "lr")):
        old.get_model("studies", "ParameterRecord").objects.create(
            space=space, position=position, name=name, kind="float", low=0.0, high=1.0
        )
    old.get_model("studies", "Study").objects.create(
        name="cli", project=project, owner_id=owner.pk, space=space, job="command:train"
    )

    new = _migrate([("studies", "0004_command_params")])
    jobs = new.get_model("studies", "CommandJob").objects
    assert jobs.get(name="train").params == ["lr", "units"]
    assert jobs.get(name="unused").params == []


def test_the_finished_index_migration_keeps_every_trial():
    old = _migrate([("studies", "0005_hardening")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    study = old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin"
    )
    old.get_model("studies", "Trial").objects.create(study=study, number=1, params={"x": 1}, state="complete")

    new = _migrate([("studies", "0008_trial_study_finished")])
    kept = new.get_model("studies", "Trial").objects.get(study__name="kept")
    assert (kept.number, kept.params, kept.state) == (1, {"x": 1}, "complete")


def test_the_objectives_migration_keeps_single_metric_studies_and_their_values_as_they_were():
    old = _migrate([("studies", "0005_hardening")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    study = old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin", metric="acc"
    )
    old.get_model("studies", "Trial").objects.create(
        study=study, number=1, params={}, state="complete", value=0.5
    )

    new = _migrate([("studies", "0006_objectives")])
    kept = new.get_model("studies", "Study").objects.get(name="kept")
    assert (kept.metric, kept.objectives, kept.constraints) == ("acc", [], [])
    trial = new.get_model("studies", "Trial").objects.get(study=kept)
    assert (trial.value, trial.values, trial.feasible) == (0.5, None, None)


def test_the_comparison_migration_keeps_a_study_and_lets_it_be_tagged_and_its_project_save_views():
    old = _migrate([("studies", "0005_hardening")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin"
    )

    new = _migrate([("studies", "0010_comparison")])
    kept = new.get_model("studies", "Study").objects.get(name="kept")
    tags = new.get_model("studies", "StudyTag").objects
    assert not tags.filter(study=kept).exists()
    tags.create(study=kept, name="baseline")
    assert list(tags.filter(study=kept).values_list("name", flat=True)) == ["baseline"]
    views = new.get_model("studies", "SavedView").objects
    views.create(project_id=kept.project_id, name="best", address=f"/studies/{kept.pk}/?filter=value+%3C+1")
    assert views.get(project_id=kept.project_id).name == "best"


def test_existing_parameters_keep_their_definition_and_have_no_condition():
    old = _migrate([("studies", "0005_hardening")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    old.get_model("studies", "ParameterRecord").objects.create(
        space=space, position=0, name="opt", kind="categorical", choices=["sgd", "adam"]
    )
    old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin"
    )

    new = _migrate([("studies", "0007_conditions")])
    parameter = new.get_model("studies", "ParameterRecord").objects.get(space_id=space.pk)
    assert (parameter.name, parameter.choices, parameter.when) == ("opt", ["sgd", "adam"], None)


def test_the_summary_migration_counts_each_existing_study_and_names_its_best_feasible_trial():
    old = _migrate([("studies", "0010_comparison")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    studies = old.get_model("studies", "Study").objects
    trials = old.get_model("studies", "Trial").objects
    spaces = old.get_model("studies", "SpaceRecord").objects
    made = studies.create(
        name="run",
        project=project,
        owner_id=owner.pk,
        space=spaces.create(),
        job="branin",
        direction="maximize",
    )
    studies.create(name="empty", project=project, owner_id=owner.pk, space=spaces.create(), job="branin")
    rows = [
        ("complete", 3.0, False),
        ("complete", 2.0, True),
        ("complete", 2.0, True),
        ("failed", None, None),
    ]
    for number, (state, value, feasible) in enumerate([*rows, ("queued", None, None)], start=1):
        trials.create(study=made, number=number, params={}, state=state, value=value, feasible=feasible)

    new = _migrate([("studies", "0011_study_summary")])
    summaries = new.get_model("studies", "StudySummary").objects
    run = summaries.get(study__name="run")
    counts = (run.n_trials, run.n_complete, run.n_failed, run.n_queued, run.n_running, run.n_cancelled)
    assert counts == (5, 3, 1, 1, 0, 0)
    assert (run.best_value, run.best_trial.number) == (2.0, 2)  # 3.0 is infeasible; ties go to the first
    assert run.best_path == [[2, 2.0]]
    empty = summaries.get(study__name="empty")
    assert (empty.n_trials, empty.best_trial_id) == (0, None)


def test_the_chosen_trial_migration_keeps_a_study_with_no_choice_and_lets_one_be_recorded():
    old = _migrate([("studies", "0011_study_summary")])
    owner = get_user_model().objects.create_user("owner")
    project = old.get_model("studies", "Project").objects.create(name="Vision")
    space = old.get_model("studies", "SpaceRecord").objects.create()
    study = old.get_model("studies", "Study").objects.create(
        name="kept", project=project, owner_id=owner.pk, space=space, job="branin", note="n"
    )
    old.get_model("studies", "Trial").objects.create(study=study, number=1, params={}, state="complete")

    new = _migrate([("studies", "0012_chosen_trial")])
    kept = new.get_model("studies", "Study").objects.get(name="kept")
    assert (kept.note, kept.chosen_trial_id, kept.chosen_note, kept.chosen_by_id) == ("n", None, "", None)
    trial = new.get_model("studies", "Trial").objects.get(study=kept)
    new.get_model("studies", "Study").objects.filter(pk=kept.pk).update(chosen_trial=trial, chosen_note="ok")
    assert new.get_model("studies", "Study").objects.get(pk=kept.pk).chosen_trial_id == trial.pk
