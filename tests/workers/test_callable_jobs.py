"""A callable job on a tree space, run by the worker's runner in the job host, is given exactly its
trial's active parameters: no key of an inactive branch, no placeholder value."""

from __future__ import annotations

import json
import threading

import pytest

from studies import services
from studies.jobs import registry
from workers import jobhost, runner

pytestmark = pytest.mark.django_db

WORKER = services.WorkerIdentity.current("test-worker")
SPACE = {
    "model": {"type": "categorical", "choices": ["a", "b"]},
    "c": {"type": "float", "low": 0.0, "high": 1.0, "when": {"model": ["a"]}},
    "depth": {"type": "int", "low": 1, "high": 3, "when": {"model": ["b"]}},
    "leaf": {"type": "float", "low": 0.0, "high": 1.0, "when": {"depth": [2, 3]}},
}


@pytest.fixture(autouse=True)
def one_trial_per_run(settings):
    """The runner runs exactly the trial it is given (no chaining to the study's next one)."""
    settings.HPOWEB = {**settings.HPOWEB, "CHAIN_S": 0.0}


@pytest.fixture
def seen_dir(tmp_path, monkeypatch):
    """Install tests/fixtures/record_job.py as a package would (an `hpoweb.jobs` entry point); a fresh
    job host is started for it, since a host builds its registry once, when it starts."""
    dist = tmp_path / "site" / "hpoweb_record_job-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hpoweb-record-job\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[hpoweb.jobs]\nrecord_params = tests.fixtures.record_job:JOB\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    seen = tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setenv("SEEN_DIR", str(seen))
    monkeypatch.setattr(jobhost, "_local", threading.local())
    registry.cache_clear()
    yield seen
    host = getattr(jobhost._local, "host", None)
    if host is not None:
        host.close()
    registry.cache_clear()


def _active(params: dict) -> set[str]:
    """The parameters of the branch `params` takes, read off SPACE by hand."""
    if params["model"] == "a":
        return {"model", "c"}
    return {"model", "depth"} | ({"leaf"} if params["depth"] in (2, 3) else set())


def test_a_callable_job_on_a_tree_space_is_given_only_its_trials_active_parameters(make_study, seen_dir):
    study = make_study(name="tree", job="record_params", space=SPACE, max_trials=10, max_parallel=10)
    services.start_study(study)
    for trial_id in services.schedule_trials(study.pk):
        assert runner.run_trial(trial_id, WORKER) is runner.RunOutcome.FINISHED

    received = sorted((json.loads(p.read_text()) for p in seen_dir.iterdir()), key=json.dumps)
    trials = list(study.trials.all())
    assert len(received) == len(trials) == 10
    assert received == sorted((t.params for t in trials), key=json.dumps)
    assert all(set(params) == _active(params) for params in received)
    assert len({frozenset(params) for params in received}) == 3, "a; b with and without a leaf"
