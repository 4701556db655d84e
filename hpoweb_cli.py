"""The `hpoweb` command: studies and trials from a terminal or a script (standard library only).

    hpoweb login http://hpoweb:8000            # asks for an API token (Tokens page); stored 0600
    hpoweb study create -f sweep.yaml --start  # a YAML or JSON definition, as "Download definition" writes
    hpoweb study list | show ID | start ID | pause ID | resume ID | cancel ID | best ID
    hpoweb study export ID --format csv|json [-o FILE]
    hpoweb trial enqueue ID --param lr=0.01 --param act=relu
    hpoweb trial import ID runs.csv            # finished runs (W&B's "Export as CSV") as recorded trials
    hpoweb agent ID -- python train.py         # runs the program for each trial (as `hpoweb-client`)

`--json` prints the API's JSON for scripts. HPOWEB_URL and HPOWEB_TOKEN override the stored login;
HPOWEB_CONFIG names another config file. Exit codes: 0 done, 1 hpoweb refused the request (the
reason on stderr), 2 a usage error, 3 hpoweb cannot be reached or the login is missing or refused,
130 stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import shutil
import sys
import urllib.parse
import uuid
from pathlib import Path

from hpoweb_client import ApiError, Client, Conflict, interruptible, run_command

INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C

REFUSED, USAGE, UNREACHABLE = 1, 2, 3
CONTROLS = ("start", "pause", "resume", "cancel")


class Failure(Exception):
    """Ends the command with `code`; the message goes to stderr."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def config_path() -> Path:
    if os.environ.get("HPOWEB_CONFIG"):
        return Path(os.environ["HPOWEB_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "hpoweb" / "config.json"


def save_login(url: str, token: str) -> Path:
    """Write the login readable by its owner only (created 0600, never world-readable for a moment)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url.rstrip("/"), "token": token}, f)
    os.chmod(path, 0o600)
    return path


def client(retry_for: float = 10.0) -> Client:
    """A client for the stored login (or HPOWEB_URL / HPOWEB_TOKEN)."""
    stored = {}
    if config_path().exists():
        try:
            stored = json.loads(config_path().read_text())
        except (OSError, ValueError) as error:
            message = f"cannot read {config_path()} ({error}): run `hpoweb login URL` again"
            raise Failure(message, UNREACHABLE) from None
    url = os.environ.get("HPOWEB_URL") or stored.get("url")
    token = os.environ.get("HPOWEB_TOKEN") or stored.get("token")
    if not url or not token:
        raise Failure("not logged in: run `hpoweb login URL` first", UNREACHABLE)
    return _client(url, token, retry_for)


def _client(url: str, token: str, retry_for: float) -> Client:
    try:
        return Client(url, token, retry_for=retry_for)
    except ValueError as error:
        raise Failure(str(error), USAGE) from None


def _call(api: Client, path: str, body: dict | None = None, method: str = "POST"):
    try:
        return api.call(path, body, method)[1]
    except Conflict as error:
        raise Failure(f"refused: {error}", REFUSED) from None
    except ApiError as error:
        raise _failure(error) from None


def _failure(error: ApiError) -> Failure:
    """A refused login (401) or a server out of reach is UNREACHABLE; any other refusal REFUSED."""
    text = str(error)
    unreachable = "HTTP 401" in text or "gave up after" in text
    return Failure(text, UNREACHABLE if unreachable else REFUSED)


# --- commands: each takes the parsed arguments and returns what to print ---------------------------


def login(args) -> dict:
    token = os.environ.get("HPOWEB_TOKEN") or getpass.getpass("API token (from hpoweb's Tokens page): ")
    api = _client(args.url, token.strip(), retry_for=5.0)
    try:
        api.call("/api/studies/", method="GET")
    except ApiError as error:
        raise Failure(f"login refused: {error}", UNREACHABLE) from None
    path = save_login(args.url, token.strip())
    return {"url": api.url, "config": str(path)}


def _read(name: str) -> bytes:
    path = Path(name)
    if not path.is_file():
        raise Failure(f"no such file: {path}", USAGE)
    try:
        return path.read_bytes()
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror}", USAGE) from None


def study_create(args) -> dict:
    definition = _read(args.file)
    kind = "application/json" if args.file.endswith(".json") else "application/yaml"
    api = client()
    try:
        study = json.loads(api.send("/api/studies/", definition, "POST", kind)[1])
    except ApiError as error:
        raise _failure(error) from None
    if args.start:
        study = _call(api, f"/api/studies/{study['id']}/start/")
    return study


def study_list(_args) -> list:
    api, studies, page = client(), [], "/api/studies/"
    while page:
        body = _call(api, page, method="GET")
        studies += body["results"]
        page = body["next"] and _path(body["next"])
    return studies


def _path(url: str) -> str:
    """The path and query of a link the API gives (its host may be spelled differently behind a proxy)."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def study_show(args) -> dict:
    return _call(client(), f"/api/studies/{args.id}/", method="GET")


def study_control(args) -> dict:
    return _call(client(), f"/api/studies/{args.id}/{args.command}/")


def study_best(args) -> dict:
    best = study_show(args)["best"]
    if best is None:
        raise Failure(f"study {args.id} has no complete trial yet", REFUSED)
    return best


def study_export(args) -> bytes:
    try:
        return client().send(f"/api/studies/{args.id}/export.{args.format}", None, "GET")[1]
    except ApiError as error:
        raise _failure(error) from None


def trial_enqueue(args) -> dict:
    pairs = [_param(text) for text in args.param]
    params = dict(pairs)
    if len(params) < len(pairs):
        raise Failure("--param: each parameter may be given once", USAGE)
    body = {"params": params, "request_id": uuid.uuid4().hex}
    return _call(client(), f"/api/studies/{args.id}/trials/", body)


def trial_import(args) -> dict:
    """Each finished run of the CSV file becomes a recorded trial; runs imported before are not repeated."""
    runs = _read(args.file)
    try:
        return json.loads(
            client().send(f"/api/studies/{args.id}/trials/import/", runs, "POST", "text/csv")[1]
        )
    except ApiError as error:
        raise _failure(error) from None


def _param(text: str) -> tuple[str, object]:
    """`name=value`: the value read as JSON (0.01, 3, true, "relu"), else as the text itself (NaN and
    Infinity too: JSON has no such numbers, and a categorical choice may be that text)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise Failure(f"--param {text!r}: write name=value", USAGE)
    try:
        return name, json.loads(value, parse_constant=_not_a_number)
    except ValueError:
        return name, value


def _not_a_number(text: str):
    raise ValueError(f"{text} is not a JSON number")


def agent(args) -> None:
    command = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not command:
        raise Failure("give the program to run after --", USAGE)
    if shutil.which(command[0]) is None:  # found before a trial is claimed, not by failing each one
        raise Failure(f"no program {command[0]!r} to run", USAGE)
    api = client(retry_for=600.0)  # a long-running agent waits out a restart of hpoweb
    interruptible()
    try:
        with contextlib.closing(api.trials(args.id)) as trials:  # closed: a trial in flight is told failed
            for trial in trials:
                print(f"trial {trial.number}: {trial.params}", file=sys.stderr)
                run_command(trial, command)
    except ApiError as error:
        raise _failure(error) from None


# --- output -----------------------------------------------------------------------------------------


def _show(result, as_json: bool) -> None:
    if result is None:
        return
    if isinstance(result, bytes):
        sys.stdout.buffer.write(result)
    elif as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    elif isinstance(result, list):
        for study in result:
            print(_study_line(study))
    else:
        for key, value in result.items():
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            print(f"{key}: {shown}")


def _study_line(study: dict) -> str:
    best = study["best"]["value"] if study.get("best") else "—"
    counts = f"{study['n_trials']:>6} trials  best {best}"
    return f"{study['id']:>6}  {study['state']:<10} {counts}  {study['name']}"


def study_id(text: str) -> int:
    """A study's id: a positive number (argparse turns the ValueError into a usage error)."""
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hpoweb", description="Studies and trials of an hpoweb server.")
    top.add_argument("--json", action="store_true", help="print the API's JSON")
    commands = top.add_subparsers(dest="group", required=True)
    commands.add_parser("login", help="store a token for URL").add_argument("url")
    study = commands.add_parser("study").add_subparsers(dest="command", required=True)
    create = study.add_parser("create", help="a study from a YAML or JSON definition")
    create.add_argument("-f", "--file", required=True)
    create.add_argument("--start", action="store_true")
    study.add_parser("list")
    for name in ("show", "best", *CONTROLS):
        study.add_parser(name).add_argument("id", type=study_id)
    export = study.add_parser("export")
    export.add_argument("id", type=study_id)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("-o", "--output", help="a file instead of stdout")
    trial = commands.add_parser("trial").add_subparsers(dest="command", required=True)
    enqueue = trial.add_parser("enqueue")
    enqueue.add_argument("id", type=study_id, help="the study")
    enqueue.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    runs = trial.add_parser("import", help="finished runs from a CSV file (W&B's runs table, a spreadsheet)")
    runs.add_argument("id", type=study_id, help="the study")
    runs.add_argument("file", help="the CSV file")
    run = commands.add_parser("agent", help="run a program for each trial of an external study")
    run.add_argument("id", type=study_id)
    run.add_argument("program", nargs=argparse.REMAINDER)
    return top


HANDLERS = {
    ("login", None): login,
    ("study", "create"): study_create,
    ("study", "list"): study_list,
    ("study", "show"): study_show,
    ("study", "best"): study_best,
    ("study", "export"): study_export,
    ("trial", "enqueue"): trial_enqueue,
    ("trial", "import"): trial_import,
    ("agent", None): agent,
    **{("study", name): study_control for name in CONTROLS},
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = HANDLERS[(args.group, getattr(args, "command", None))]
    try:
        result = handler(args)
        if getattr(args, "output", None):
            _write(Path(args.output), result)
        else:
            _show(result, args.json)
    except Failure as failure:
        print(f"hpoweb: {failure}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:  # an agent's trial in flight was told failed on the way out
        print("hpoweb: interrupted", file=sys.stderr)
        return INTERRUPTED
    return 0


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise Failure(f"cannot write {path}: {error.strerror}", USAGE) from None


if __name__ == "__main__":
    sys.exit(main())
