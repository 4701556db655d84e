"""Kills a command job's process group when its worker dies: `python watchdog.py PGID`.

The worker holds this process's stdin open; when the worker exits for any reason (SIGKILL included)
stdin reaches end of file and the whole group goes, grandchildren too, which PR_SET_PDEATHSIG on the
direct child alone would miss. Runs in a session of its own, so a kill of the worker's group spares
it. Standard library only: it is started by path, not imported.
"""

import os
import signal
import sys

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
while sys.stdin.buffer.read(4096):
    pass
try:
    os.killpg(int(sys.argv[1]), signal.SIGKILL)
except (ProcessLookupError, PermissionError):
    pass
