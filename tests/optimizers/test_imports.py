from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_optimizer_package_imports_no_django_celery_or_plotly():
    code = (
        "import sys, studies.optimizers, studies.optimizers.posterior\n"
        "heavy = sorted(m for m in ('django', 'celery', 'plotly') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
