"""The `hpoweb` command in processes of its own against a running hpoweb (pytest-django's live server)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import pytest

from studies import services
from studies.jobs.builtins import SPACES
from studies.models import ApiToken, Study, Trial
from tests.harness import ROOT, wait_for
from tests.helpers import TWO_OBJECTIVES, WANDB_RUNS, run_trials, wandb_study

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SWEEP = """
name: cli-sweep
job: external
space:
  x1: {type: float, low: -5, high: 10}
  x2: {type: float, low: 0, high: 15}
max_trials: 2
max_parallel: 1
"""


@pytest.fixture
def hpoweb(live_server, cast, tmp_path):
    """Run `hpoweb ARGS` as the logged-in editor: (exit code, stdout, stderr)."""
    _token, key = ApiToken.issue(cast["editor"])
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HPOWEB_TOKEN", "HPOWEB_URL")}
    env["HPOWEB_CONFIG"] = str(tmp_path / "config" / "hpoweb.json")

    def run(*args: str, token: str | None = None, url: str | None = None) -> tuple[int, str, str]:
        extra = {"HPOWEB_TOKEN": token} if token else {}
        extra.update({"HPOWEB_URL": url} if url else {})
        done = subprocess.run(
            [sys.executable, "-m", "hpoweb_cli", *args],
            env={**env, **extra},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout, done.stderr

    code, _out, err = run("login", live_server.url, token=key)
    assert code == 0, err
    run.config = tmp_path / "config" / "hpoweb.json"
    return run


def test_login_keeps_the_token_readable_by_its_owner_only_and_a_bad_token_is_refused(
    hpoweb, live_server, tmp_path
):
    mode = stat.S_IMODE(hpoweb.config.stat().st_mode)
    stored = json.loads(hpoweb.config.read_text())

    code, _out, err = hpoweb("login", live_server.url, token="not-a-token")

    assert mode == 0o600 and stored["url"] == live_server.url
    assert code == 3 and "login refused" in err
    assert json.loads(hpoweb.config.read_text()) == stored  # the good login is kept


def test_a_yaml_sweep_is_created_started_listed_paused_and_cancelled(hpoweb, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP)

    code, out, err = hpoweb("--json", "study", "create", "-f", str(sweep), "--start")
    study = json.loads(out)
    listed = hpoweb("study", "list")[1]
    paused = json.loads(hpoweb("--json", "study", "pause", str(study["id"]))[1])
    cancelled = json.loads(hpoweb("--json", "study", "cancel", str(study["id"]))[1])
    again = hpoweb("study", "cancel", str(study["id"]))

    assert code == 0, err
    assert study["state"] == "running" and study["name"] == "cli-sweep"
    assert "cli-sweep" in listed and "running" in listed
    assert (paused["state"], cancelled["state"]) == ("paused", "cancelled")
    assert again[0] == 1 and "cannot cancel" in again[2]


def test_a_bad_definition_file_exits_1_with_the_path_and_a_missing_file_exits_2(hpoweb, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.replace("low: -5", "low: 50"))

    bad = hpoweb("study", "create", "-f", str(sweep))
    missing = hpoweb("study", "create", "-f", str(tmp_path / "nope.yaml"))

    assert bad[0] == 1 and "space.x1" in bad[2]
    assert missing[0] == 2 and "no such file" in missing[2]
    assert not Study.objects.exists()


def test_trial_enqueue_queues_the_point_and_refuses_one_outside_the_space(hpoweb, make_study):
    study = make_study(job="external", space=SPACES["branin"])

    code, out, err = hpoweb(
        "--json", "trial", "enqueue", str(study.pk), "--param", "x1=1.5", "--param", "x2=3"
    )
    outside = hpoweb("trial", "enqueue", str(study.pk), "--param", "x1=99", "--param", "x2=3")

    assert code == 0, err
    assert json.loads(out)["params"] == {"x1": 1.5, "x2": 3}
    assert outside[0] == 1 and "x1" in outside[2]
    assert list(study.trials.values_list("params", "state")) == [({"x1": 1.5, "x2": 3}, Trial.State.QUEUED)]


def test_trial_import_records_wandb_runs_once_and_lists_every_bad_row_on_a_line(hpoweb, make_study, tmp_path):
    study = wandb_study(make_study)
    runs, bad = tmp_path / "runs.csv", tmp_path / "bad.csv"
    runs.write_text(WANDB_RUNS)
    bad.write_text(WANDB_RUNS.replace(",0.01,64,", ",3.0,64,").replace(",0.35,0.91", ",,0.91"))

    refused = hpoweb("trial", "import", str(study.pk), str(bad))
    code, out, err = hpoweb("trial", "import", str(study.pk), str(runs))
    again = hpoweb("--json", "trial", "import", str(study.pk), str(runs))
    missing = hpoweb("trial", "import", str(study.pk), str(tmp_path / "nowhere.csv"))

    assert refused[0] == 1
    assert (
        "\n  row 2: parameter 'lr'" in refused[2]
        and "\n  row 5: no value for the metric val_loss" in refused[2]
    )
    assert code == 0, err
    assert "added: 3" in out and "skipped: 1" in out
    assert json.loads(again[1])["already_there"] == 3
    assert missing[0] == 2 and "no such file" in missing[2]
    assert study.trials.count() == 3


def test_best_and_export_print_what_the_study_holds(hpoweb, make_study, tmp_path):
    study = run_trials(make_study(max_trials=3, max_parallel=3), [3.0, 1.0, 2.0])
    csv_file = tmp_path / "out.csv"

    best = json.loads(hpoweb("--json", "study", "best", str(study.pk))[1])
    code, _out, err = hpoweb("study", "export", str(study.pk), "--format", "csv", "-o", str(csv_file))
    exported = json.loads(hpoweb("study", "export", str(study.pk), "--format", "json")[1])

    assert best["value"] == 1.0 and best["number"] == 2
    assert code == 0, err
    assert csv_file.read_text().count("\n") == 4
    assert [t["value"] for t in exported["trials"]] == [3.0, 1.0, 2.0]
    assert hpoweb("study", "best", "999999")[0] == 1


def test_the_agent_runs_the_program_for_each_trial_of_an_external_study(hpoweb, make_study):
    study = make_study(name="ext", job="external", space=SPACES["branin"], max_trials=2, max_parallel=1)
    services.start_study(study)
    program = [sys.executable, str(ROOT / "tests" / "fixtures" / "train_cli.py")]

    code, _out, err = hpoweb("agent", str(study.pk), "--", *program)

    assert code == 0, err
    study.refresh_from_db()
    assert study.state == Study.State.COMPLETED
    for trial in study.trials.all():
        assert trial.value == pytest.approx((trial.params["x1"] - 1) ** 2 + trial.params["x2"])


def test_without_a_login_every_command_says_so_and_exits_3(tmp_path):
    env = {**os.environ, "HPOWEB_CONFIG": str(tmp_path / "none.json")}
    env.pop("HPOWEB_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "hpoweb_cli", "study", "list"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 3 and "hpoweb login" in done.stderr


def test_a_refused_definition_prints_each_field_problem_readably_with_its_unicode(hpoweb, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        SWEEP.replace("x1:", "λ:").replace("low: -5", "low: 50").replace("max_trials: 2", "max_trials: x")
    )

    code, out, err = hpoweb("study", "create", "-f", str(sweep))

    assert code == 1 and out == ""
    assert "max_trials: must be a number" in err and "space.λ.low: parameter 'λ'" in err
    assert "Traceback" not in err


def test_bad_arguments_are_usage_errors_that_claim_nothing_and_print_no_traceback(
    hpoweb, make_study, tmp_path
):
    study = make_study(name="ext", job="external", space=SPACES["branin"], max_trials=2, max_parallel=1)
    services.start_study(study)

    answers = {
        "negative id": hpoweb("study", "show", "-5"),
        "missing program": hpoweb("agent", str(study.pk), "--", str(tmp_path / "no-such-program")),
        "unwritable output": hpoweb("study", "export", str(study.pk), "-o", str(tmp_path / "no" / "dir.csv")),
        "repeated param": hpoweb("trial", "enqueue", str(study.pk), "--param", "x1=1", "--param", "x1=2"),
        "address": hpoweb("study", "list", url="hpoweb.example:8000"),
    }

    for what, (code, _out, err) in answers.items():
        assert code == 2 and "Traceback" not in err, (what, err)
    assert "no-such-program" in answers["missing program"][2]
    assert "http://" in answers["address"][2]
    assert not study.trials.exclude(state=Trial.State.QUEUED).exists()


def test_nan_as_a_param_is_the_text_the_space_refuses_not_a_json_error(hpoweb, make_study):
    study = make_study(job="external", space=SPACES["branin"])

    code, _out, err = hpoweb("trial", "enqueue", str(study.pk), "--param", "x1=NaN", "--param", "x2=3")

    assert code == 1 and "'x1': 'NaN' is not a finite number" in err


ODD_LINES = """
import json
odd = [{"step": "one", "value": 1.0}, {"step": 1, "value": "abc"}, {"value": True}, [1]]
for line in [*odd, {"value": 0.5}]:
    print(json.dumps(line))
"""


def test_the_agent_reads_only_numeric_report_lines_as_the_command_jobs_do(hpoweb, make_study):
    study = make_study(name="ext", job="external", space=SPACES["branin"], max_trials=1, max_parallel=1)
    services.start_study(study)

    code, _out, err = hpoweb("agent", str(study.pk), "--", sys.executable, "-c", ODD_LINES)

    assert code == 0, err
    assert list(study.trials.values_list("state", "value")) == [(Trial.State.COMPLETE, 0.5)]


TWO_METRICS = """
import json
print(json.dumps({"step": 1, "value": 0.9}))
print(json.dumps({"values": {"error": 0.25, "latency": 3.0}}))
"""


def test_the_agent_tells_every_objective_of_a_study_with_several_as_command_jobs_read_them(
    hpoweb, make_study
):
    study = make_study(
        name="ext",
        job="external",
        space=SPACES["branin"],
        max_trials=1,
        max_parallel=1,
        objectives=TWO_OBJECTIVES,
    )
    services.start_study(study)

    code, _out, err = hpoweb("agent", str(study.pk), "--", sys.executable, "-c", TWO_METRICS)

    assert code == 0, err
    trial = study.trials.get()
    assert (trial.state, trial.values) == (Trial.State.COMPLETE, {"error": 0.25, "latency": 3.0})


def test_an_interrupted_agent_takes_its_program_down_and_fails_the_trial(
    live_server, cast, make_study, tmp_path
):
    study = make_study(
        name="ext", job="external", space=SPACES["branin"], max_trials=1, max_parallel=1, max_retries=0
    )
    services.start_study(study)
    _token, key = ApiToken.issue(cast["editor"])
    pid_file = tmp_path / "pid"
    program = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    env = {**os.environ, "HPOWEB_URL": live_server.url, "HPOWEB_TOKEN": key}
    agent = subprocess.Popen(
        [sys.executable, "-m", "hpoweb_cli", "agent", str(study.pk), "--", sys.executable, "-c", program],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        # started with SIGINT ignored, as a script's `hpoweb agent ... &` is: Ctrl-C must still stop it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    wait_for(lambda: pid_file.exists() and pid_file.read_text(), 60, "the program to start")

    agent.send_signal(signal.SIGINT)
    _out, err = agent.communicate(timeout=60)  # a program left running would hold the pipe open
    code = agent.returncode

    assert code == 130 and "Traceback" not in err, err
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert study.trials.get().state == Trial.State.FAILED
