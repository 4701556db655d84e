"""hpoweb's client for external workers: ask for trials, report learning curves, tell results.

Standard library only, so it can be copied next to a training script on any machine:

    from hpoweb_client import Client

    for trial in Client("http://hpoweb:8000", token).trials(study_id):
        for epoch in range(1, 21):
            loss = train_one_epoch(trial.params)
            trial.report(epoch, loss)
            if trial.should_prune():
                break                   # hpoweb is told the trial was pruned
        else:
            trial.tell(loss)

While a trial runs, a background thread heartbeats, so hpoweb's reaper knows the worker is alive; a
worker that dies stops heartbeating and its trial is handed out again. Network errors and 5xx answers
are retried with backoff; every endpoint is idempotent (ask carries a request id), so a retry never
duplicates anything. A 409 means hpoweb gave the trial to someone else (or it was cancelled):
`should_prune()` then answers True and the script should move on.

As a program, it runs a command for each trial, like hpoweb's command jobs (params as `--name value`
arguments, HPOWEB_PARAM_* variables and the JSON file HPOWEB_PARAMS_FILE; reports as JSON lines on
stdout, `{"step": s, "value": v}` and finally `{"value": v}`):

    HPOWEB_TOKEN=... hpoweb-client --url http://hpoweb:8000 --study 3 -- python train.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

log = logging.getLogger("hpoweb_client")
_RETRIED_STATUS = {502, 503, 504}
# how long a worker that leaves a trial untold (stopping, or its loop body raised) tries to tell its end
LEAVING_S = 10.0


class ApiError(Exception):
    """hpoweb refused the request (a 4xx other than 409); the message says why."""


class Conflict(ApiError):
    """The attempt is no longer this worker's (reaped, cancelled) or the call contradicts the stored state."""


class Client:
    def __init__(
        self, url: str, token: str, *, timeout: float = 30.0, retry_for: float = 600.0, worker: str = ""
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"hpoweb's address must start with http:// or https://, got {url!r}")
        self.url, self.token = url.rstrip("/"), token
        self.timeout, self.retry_for = timeout, retry_for
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"

    def call(
        self, path: str, body: dict | None = None, method: str = "POST", retry_for: float | None = None
    ) -> tuple[int, dict | None]:
        """(status, JSON body) of one API call, retried on network errors and 502/503/504 for
        `retry_for` seconds (the client's own when None)."""
        data = None if body is None else json.dumps(body).encode()
        status, raw = self.send(path, data, method, retry_for=retry_for)
        return status, json.loads(raw) if raw else None

    def send(
        self,
        path: str,
        data: bytes | None,
        method: str = "POST",
        content_type: str = "application/json",
        retry_for: float | None = None,
    ) -> tuple[int, bytes]:
        """(status, raw body) of one API call, retried on network errors and 502/503/504."""
        retry_for = self.retry_for if retry_for is None else retry_for
        timeout = min(self.timeout, max(retry_for, 1.0))
        deadline, pause = time.monotonic() + retry_for, 0.5
        while True:
            request = urllib.request.Request(
                self.url + path,
                data=data,
                method=method,
                headers={"Authorization": f"Token {self.token}", "Content-Type": content_type},
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as error:
                text = error.read().decode(errors="replace")
                if error.code == 409:
                    raise Conflict(_message(text)) from None
                if error.code not in _RETRIED_STATUS:
                    raise ApiError(f"{method} {path}: HTTP {error.code}: {_message(text)}") from None
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                problem = str(getattr(error, "reason", error))
            if time.monotonic() + pause > deadline:
                raise ApiError(f"{method} {path}: gave up after {retry_for:g} s: {problem}")
            log.warning("%s %s: %s; retrying in %.1f s", method, path, problem, pause)
            time.sleep(pause)
            pause = min(pause * 2, 30.0)

    def ask(self, study_id: int) -> Trial | None:
        """Claim the study's next trial; None when it has nothing to hand out right now."""
        body = {"worker": self.worker, "request_id": uuid.uuid4().hex}
        status, handout = self.call(f"/api/studies/{study_id}/ask/", body)
        return None if status == 204 else Trial(self, handout)

    def study_state(self, study_id: int) -> str:
        """From the study list: reading the study's own page (its recommended trial) counts as watching
        its analysis, which a worker waiting for a slot every few seconds would keep busy."""
        for study in self.call(f"/api/studies/?id={study_id}", method="GET")[1]["results"]:
            if study["id"] == study_id:
                return study["state"]
        return self.call(f"/api/studies/{study_id}/", method="GET")[1]["state"]  # an hpoweb without ?id=

    def trials(self, study_id: int, poll_s: float = 5.0) -> Iterator[Trial]:
        """Trials one after another until the study stops running (completed, cancelled, failed).

        A trial the loop body leaves without `tell` (by `continue`, `break` or an exception) is told as
        pruned when hpoweb asked to prune it, as failed otherwise; `with trial:` inside the body fails it
        with the exception's text instead.
        """
        while True:
            trial = self.ask(study_id)
            if trial is None:
                if self.study_state(study_id) not in ("running", "paused"):
                    return
                time.sleep(poll_s)
                continue
            with trial:
                yield trial


class Trial:
    """One claimed trial: its params, and the calls that report on it; heartbeats while it is open."""

    def __init__(self, client: Client, handout: dict) -> None:
        self.client = client
        self.id, self.attempt_id = handout["trial_id"], handout["attempt_id"]
        self.number, self.params = handout["number"], handout["params"]
        self._heartbeat_s = float(handout.get("heartbeat_s", 15.0))
        self._prune, self.prune_reason, self.lost = False, "", ""
        self.told = False
        self._stop = threading.Event()
        threading.Thread(target=self._heartbeats, daemon=True, name=f"hpoweb-heartbeat-{self.id}").start()

    def __repr__(self) -> str:
        return f"<Trial {self.number} (id {self.id}, attempt {self.attempt_id}) {self.params}>"

    def __enter__(self) -> Trial:
        return self

    def __exit__(self, kind, error, _tb) -> None:
        """Tells the end of a trial left untold, for at most `LEAVING_S`: a worker that is stopping
        (Ctrl-C, hpoweb gone) does not wait out a long outage; hpoweb reclaims a trial whose
        heartbeats stop."""
        try:
            if not self.told and not self.lost:
                if error is not None and not isinstance(error, GeneratorExit):
                    state, why = "failed", f"{kind.__name__}: {error}"
                elif self._prune:
                    state, why = "pruned", self.prune_reason
                else:
                    state, why = "failed", "the worker left the trial without telling a result"
                self._end(state, why, retry_for=LEAVING_S)
        except Conflict as conflict:
            log.warning("trial %s: %s", self.number, conflict)
        except ApiError as failure:
            log.warning("trial %s: its end was not told: %s", self.number, failure)
        finally:
            self._stop.set()

    def report(self, step: int, value: float) -> bool:
        """Store a learning-curve point; returns (and remembers) whether hpoweb's pruner says stop. A
        point that is not a finite number (a diverging loss) is left out: hpoweb's curves hold numbers."""
        if not math.isfinite(float(value)):
            return self.should_prune()
        try:
            _, answer = self._post("report", {"step": int(step), "value": float(value)})
        except Conflict as conflict:
            self.lost = str(conflict)
            return True
        self._prune, self.prune_reason = bool(answer["prune"]), answer.get("reason", "")
        return self._prune

    def should_prune(self) -> bool:
        """True when the pruner said stop at the last report, or the trial is no longer this worker's."""
        return self._prune or bool(self.lost)

    def tell(self, value: float | dict[str, float]) -> None:
        """The result: a number, or every metric by name for a study with objectives. A result that is
        not finite numbers fails the trial with that reason, as hpoweb's own jobs do."""
        if isinstance(value, dict):
            result = {"values": {name: float(v) for name, v in value.items()}}
        else:
            result = {"value": float(value)}
        numbers = result.get("values", result).values()
        if all(math.isfinite(v) for v in numbers):
            self._end("complete", **result)
        else:
            self._end("failed", f"the result was {' '.join(map(repr, numbers))}, not a finite number")

    def fail(self, error: str) -> None:
        self._end("failed", error)

    def prune(self, reason: str = "") -> None:
        self._end("pruned", reason or self.prune_reason)

    def _end(self, state: str, error: str = "", retry_for: float | None = None, **result) -> None:
        body = {"state": state, **result} if result else {"state": state, "error": error}
        self._stop.set()
        try:
            self._post("tell", body, retry_for)
        finally:
            self.told = True

    def _post(self, route: str, body: dict, retry_for: float | None = None) -> tuple[int, dict | None]:
        path = f"/api/trials/{self.id}/{route}/"
        return self.client.call(path, {"attempt_id": self.attempt_id, **body}, retry_for=retry_for)

    def _heartbeats(self) -> None:
        while not self._stop.wait(self._heartbeat_s):
            try:
                self._post("heartbeat", {})
            except Conflict as conflict:
                self.lost = str(conflict)
                return
            except ApiError as error:
                log.warning("trial %s: heartbeat failed: %s", self.number, error)


def _message(text: str) -> str:
    """What an error answer says: its `error` or `detail`, each field's problems by path, or the title
    of an HTML page (an error page of hpoweb's web server or of a proxy in front of it)."""
    try:
        body = json.loads(text)
    except ValueError:
        title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        return title.group(1).strip() if title else text[:500]
    if not isinstance(body, dict):
        return text[:500]
    if body.get("error") or body.get("detail"):
        return str(body.get("error") or body.get("detail"))
    return "; ".join(_problems(path, messages) for path, messages in body.items())


def _problems(path: str, messages) -> str:
    """A field's problems: inline when one, one per line when several (every bad row of an import)."""
    if isinstance(messages, list) and len(messages) > 1:
        return f"{path}:" + "".join(f"\n  {m}" for m in messages)
    return f"{path}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"


def interruptible() -> None:
    """Ctrl-C (SIGINT) stops a worker loop even when it was started with SIGINT ignored, as a script's
    `agent &` is: the trial in flight is then told failed and its program stopped."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_command(trial: Trial, argv: list[str]) -> None:
    """Run `argv` for one trial, forwarding its JSON-line reports; killed (with its group) when pruned."""
    with tempfile.TemporaryDirectory(prefix="hpoweb-client-") as workspace:
        params_file = os.path.join(workspace, "params.json")
        with open(params_file, "w") as f:
            json.dump(trial.params, f)
        env = dict(os.environ, HPOWEB_PARAMS_FILE=params_file, PYTHONUNBUFFERED="1")
        for name, value in trial.params.items():
            env[f"HPOWEB_PARAM_{re.sub(r'[^A-Z0-9]', '_', name.upper())}"] = _text(value)
        args = [a for k, v in trial.params.items() for a in (f"--{k}", _text(v))]
        proc = subprocess.Popen(argv + args, stdout=subprocess.PIPE, env=env, start_new_session=True)
        try:
            result, pruned = _follow(trial, proc)
        except BaseException:  # the client is stopping (Ctrl-C, hpoweb gone): its program must not linger
            _kill(proc)
            raise
        if pruned:
            _kill(proc)
        code = proc.wait()
        if trial.should_prune():
            return
        if code != 0:
            trial.fail(f"the program exited with code {code}")
        elif result is None:
            trial.fail('the program printed no result line {"value": ...} (or {"values": {...}})')
        else:
            trial.tell(result)


def _follow(trial: Trial, proc: subprocess.Popen) -> tuple[float | dict | None, bool]:
    """Echo the program's output and report its curve: (its result line's value, whether pruned)."""
    result = None
    for line in proc.stdout:
        sys.stdout.buffer.write(line)
        message = _report_line(line)
        if message is None:
            continue
        if "values" in message:
            result = message["values"]
        elif "step" not in message:
            result = message["value"]
        elif trial.report(message["step"], message["value"]):
            return result, True
    return result, False


def _report_line(line: bytes) -> dict | None:
    """A JSON line with a numeric "value" (and an integer "step" for a curve point), or the result of a
    study with objectives, `{"values": {metric: value, ...}}` (checked when told), as hpoweb's command
    jobs read them; any other line is the program's own output."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    if isinstance(message.get("values"), dict) and "step" not in message:
        return {"values": message["values"]}
    value, step = message.get("value"), message.get("step", 0)
    numeric = not isinstance(value, bool) and isinstance(value, int | float)
    return message if numeric and not isinstance(step, bool) and isinstance(step, int) else None


def _kill(proc: subprocess.Popen) -> None:
    """The program and every process it started (its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a command for each trial of an hpoweb study.")
    parser.add_argument("--url", required=True, help="hpoweb's address, e.g. http://hpoweb:8000")
    parser.add_argument("--study", type=int, required=True)
    parser.add_argument("--token-env", default="HPOWEB_TOKEN", help="environment variable holding the token")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the program and its fixed arguments")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the program to run after --")
    if args.token_env not in os.environ:
        parser.error(f"set {args.token_env} to an API token")
    try:
        client = Client(args.url, os.environ[args.token_env])
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    interruptible()
    for trial in client.trials(args.study):
        log.info("trial %s: %s", trial.number, trial.params)
        run_command(trial, command)


if __name__ == "__main__":
    main()
