"""Test settings: hpoweb's own settings with a private data folder, so tests never touch data/.

Worker processes that end-to-end tests start get the same folder (broker, SQLite file) through
HPOWEB_DATA_DIR and DATABASE_URL (see tests/harness.py).
"""

import os
import tempfile

os.environ.setdefault("HPOWEB_DATA_DIR", tempfile.mkdtemp(prefix="hpoweb-test-"))

from hpoweb.settings import *  # noqa: E402,F403
from hpoweb.settings import DATA_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: worker processes must see what the test wrote.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_hpoweb")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every request renders afresh (tests/web/test_poll_cache.py turns the sharing on where it tests it).
POLL_CACHE_S = 0
