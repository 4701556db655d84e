"""Django on a fresh SQLite database in a folder of the caller's, for benchmarks that time it in-process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_scratch_django(data_dir: str, database_url: str | None = None) -> None:
    """Point hpoweb's embedded defaults at `data_dir` (the database there too, unless `database_url`
    names one; never the environment's DATABASE_URL), set Django up, migrate."""
    os.environ["HPOWEB_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "hpoweb.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
