"""The client modules are copied next to training scripts: they must import with the standard library only."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT

HEAVY = "{'optuna', 'django', 'yaml'}"


def test_the_client_and_the_cli_import_neither_optuna_nor_django():
    code = f"import sys, hpoweb_client, hpoweb_cli; print(sorted({HEAVY} & set(sys.modules)))"

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
