"""The Python client, in a process of its own, against a running hpoweb (pytest-django's live server)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

import hpoweb_client
from studies import services
from studies.jobs.builtins import SPACES, branin
from studies.models import ApiToken, Attempt, Study, Trial, TrialMetric
from tests.harness import ROOT, wait_for
from tests.reliability.fleet import LOAD_MARGIN_S

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORKER = ROOT / "tests" / "fixtures" / "external_worker.py"


@pytest.fixture
def start_client(live_server, cast, tmp_path):
    """Start `external_worker.py` for a study as the editor; every process is killed at the end."""
    _token, key = ApiToken.issue(cast["editor"])
    procs: list[subprocess.Popen] = []

    def start(study: Study, *args: str) -> subprocess.Popen:
        out = open(tmp_path / f"client-{len(procs)}.log", "w")
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), live_server.url, str(study.pk), *args],
            env={**os.environ, "HPOWEB_TOKEN": key},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log_path = out.name
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def external_study(make_study):
    def make(**fields):
        study = make_study(name="external", job="external", space=SPACES["branin"], **fields)
        services.start_study(study)
        return study

    return make


def _log(proc) -> str:
    return Path(proc.log_path).read_text()


def test_a_client_process_runs_an_external_study_to_completion_heartbeating_through_long_epochs(
    start_client, external_study, settings
):
    # The reaper gives up on an attempt silent for the grace, and the client beats every quarter of
    # it: 2 s plus a loaded machine's margin. Each trial (3 epochs of half the grace) outlasts the grace.
    grace_s = 4 * 0.5 + LOAD_MARGIN_S
    settings.HPOWEB = {**settings.HPOWEB, "GRACE_S": grace_s}
    study = external_study(max_trials=2, max_parallel=1)
    stop = threading.Event()
    reaped: list[int] = []

    def reaper() -> None:
        try:
            while not stop.wait(0.5):
                reaped.append(services.reap_stale_attempts(grace_s=grace_s))
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=reaper)
    thread.start()
    try:
        client = start_client(study, "--epoch-s", str(grace_s / 2))  # 3 epochs: 1.5 times the grace
        assert client.wait(timeout=120) == 0, _log(client)
    finally:
        stop.set()
        thread.join()

    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED and "study finished" in _log(client)
    assert sum(reaped) == 0, "a heartbeating client must never be reaped"
    trials = list(study.trials.order_by("number"))
    assert [t.number for t in trials] == [1, 2]
    for trial in trials:
        assert trial.state == Trial.State.COMPLETE and trial.value == pytest.approx(branin(trial.params))
        assert [step for step, _ in trial.curve()] == [1, 2, 3]
        assert trial.attempts.count() == 1


def test_a_client_killed_mid_trial_is_reaped_and_its_trial_is_retried_by_another_client(
    start_client, external_study
):
    study = external_study(max_trials=2, max_parallel=1, max_retries=1)
    doomed = start_client(study, "--hang")
    wait_for(lambda: TrialMetric.objects.filter(trial__study=study).exists(), 60, "the first report")
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    [lost] = Attempt.objects.filter(trial__study=study, state=Attempt.State.RUNNING)
    wait_for(lambda: services.reap_stale_attempts(grace_s=1.0) == 1, 30, "the reaper to fail the attempt")

    survivor = start_client(study)
    assert survivor.wait(timeout=120) == 0, _log(survivor)

    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED
    trial = study.trials.get(pk=lost.trial_id)
    first, second = trial.attempts.order_by("number")
    assert first.state == Attempt.State.FAILED and first.reason.startswith("worker lost: no heartbeat")
    assert second.state == Attempt.State.COMPLETE and trial.value == pytest.approx(branin(trial.params))
    assert [step for step, _ in trial.curve()] == [1, 2, 3], "the curve is the retry's"
    assert study.trials.filter(state=Trial.State.COMPLETE).count() == 2


EXAMPLE_SPACE = {
    "lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True},
    "units": {"type": "int", "low": 16, "high": 64},
    "l2": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
    "batch_size": {"type": "int", "low": 32, "high": 128},
}


def test_the_documented_example_training_script_completes_a_study(live_server, cast, make_study):
    _token, key = ApiToken.issue(cast["editor"])
    study = make_study(name="digits", job="external", space=EXAMPLE_SPACE, max_trials=2, max_parallel=1)
    services.start_study(study)
    example = ROOT / "examples" / "train_external.py"

    run = subprocess.run(
        [sys.executable, str(example), "--url", live_server.url, "--study", str(study.pk), "--epochs", "2"],
        env={**os.environ, "HPOWEB_TOKEN": key},
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED
    assert [len(t.curve()) for t in study.trials.all()] == [2, 2]
    assert all(0 <= t.value <= 1 for t in study.trials.all())


def _client_run(live_server, study, key: str, program: list[str], **env: str) -> subprocess.CompletedProcess:
    """`hpoweb_client.py` run to the study's end, each trial by `program`, as the token's holder
    (with no database of its own: it knows only the API)."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(HPOWEB_TOKEN=key, **env)
    client = [
        sys.executable,
        str(ROOT / "hpoweb_client.py"),
        "--url",
        live_server.url,
        "--study",
        str(study.pk),
    ]
    return subprocess.run([*client, "--", *program], env=environ, capture_output=True, text=True, timeout=99)


def test_the_hpoweb_client_command_runs_a_program_for_each_trial(live_server, cast, external_study):
    _token, key = ApiToken.issue(cast["editor"])
    study = external_study(max_trials=2, max_parallel=1)

    program = [sys.executable, str(ROOT / "tests" / "fixtures" / "train_cli.py")]
    run = _client_run(live_server, study, key, program, TRAIN_MODE="lines")

    assert run.returncode == 0, run.stdout + run.stderr
    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED
    for trial in study.trials.all():
        assert trial.value == pytest.approx((trial.params["x1"] - 1) ** 2 + trial.params["x2"])
        assert [step for step, _ in trial.curve()] == [1, 2, 3]


def test_the_hpoweb_client_gives_a_program_on_a_tree_only_its_trials_active_parameters(
    live_server, cast, make_study, tmp_path
):
    _token, key = ApiToken.issue(cast["editor"])
    study = make_study(name="tree", job="external", space=SPACES["jenatton"], max_trials=6, max_parallel=1)
    services.start_study(study)

    program = [sys.executable, str(ROOT / "tests" / "fixtures" / "record_params.py")]
    run = _client_run(live_server, study, key, program, SEEN_DIR=str(tmp_path))

    assert run.returncode == 0, run.stdout + run.stderr
    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED
    seen = {
        json.dumps(s["file"], sort_keys=True): s
        for s in map(json.loads, map(Path.read_text, tmp_path.iterdir()))
    }
    trials = list(study.trials.all())
    assert len({tuple(sorted(t.params)) for t in trials}) > 1, "more than one branch was run"
    assert sorted(seen) == sorted(json.dumps(t.params, sort_keys=True) for t in trials)
    for trial in trials:
        given = seen[json.dumps(trial.params, sort_keys=True)]
        assert given["argv"][::2] == [f"--{name}" for name in trial.params]
        assert given["env"] == sorted(f"HPOWEB_PARAM_{name.upper()}" for name in trial.params)


def test_a_diverged_loss_fails_the_trial_with_its_reason_and_its_curve_keeps_the_finite_points(
    live_server, cast, external_study
):
    from hpoweb_client import Client

    _token, key = ApiToken.issue(cast["editor"])
    study = external_study(max_trials=1, max_parallel=1, max_retries=0)
    trial = Client(live_server.url, key, retry_for=10.0).ask(study.pk)

    with trial:
        trial.report(1, 2.5)
        trial.report(2, float("inf"))
        trial.tell(float("nan"))

    stored = study.trials.get()
    assert stored.state == Trial.State.FAILED and "nan, not a finite number" in stored.error
    assert stored.curve() == [(1, 2.5)]


def test_a_worker_leaving_a_trial_untold_gives_up_telling_it_after_leaving_s(monkeypatch):
    """Ctrl-C on an agent whose hpoweb does not answer: the agent ends in about LEAVING_S, not after
    the ten minutes a running worker waits out an outage (hpoweb reclaims the trial by its heartbeats)."""
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    monkeypatch.setattr(hpoweb_client, "LEAVING_S", 1.0)
    client = hpoweb_client.Client(f"http://127.0.0.1:{silent.getsockname()[1]}", "token")
    handout = {"trial_id": 1, "attempt_id": 1, "number": 1, "params": {}, "heartbeat_s": 3600}

    def leave() -> None:
        with contextlib.suppress(KeyboardInterrupt), hpoweb_client.Trial(client, handout):
            raise KeyboardInterrupt

    leaving = threading.Thread(target=leave, daemon=True)
    leaving.start()
    leaving.join(timeout=1.0 + 2 * LOAD_MARGIN_S)  # LEAVING_S and a margin for a loaded machine
    silent.close()
    assert not leaving.is_alive()
