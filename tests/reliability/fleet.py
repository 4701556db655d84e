"""Workers and a beat process with short lifecycle timings, for the reliability scenarios."""

from __future__ import annotations

from pathlib import Path

from studies.models import Attempt, Study
from tests.harness import CeleryProcess, Worker, wait_for

# Heartbeat 1 s, grace 5 s, reaper every second: a lost worker is judged within about 7 s.
TIMINGS = {
    "HEARTBEAT_S": 1.0,
    "GRACE_S": 5.0,
    "REAPER_PERIOD_S": 1.0,
    "RECONCILE_AFTER_S": 3.0,
}
# A running trial gets 0.8 x this to finish on SIGTERM; test_shutdown's short trial needs a quarter
# of that window, so a loaded machine's slower job start still fits.
SOFT_SHUTDOWN_S = 10.0
# What a loaded machine adds to any promised bound: with other work on both cores (load average about
# 10) a reap landed 0.7 s past grace + two reaper periods. The margin covers that with room and stays
# below one grace period, so a reaper that waited a period too many still fails the test.
LOAD_MARGIN_S = 4.0
# The promise: an attempt whose heartbeats stop is failed within this long after its last one.
REAPED_WITHIN_S = TIMINGS["GRACE_S"] + 2 * TIMINGS["REAPER_PERIOD_S"]


def timing_env(mark: Path) -> dict[str, str]:
    return {
        "HPOWEB_HEARTBEAT_S": str(TIMINGS["HEARTBEAT_S"]),
        "HPOWEB_GRACE_S": str(TIMINGS["GRACE_S"]),
        "HPOWEB_REAPER_PERIOD_S": str(TIMINGS["REAPER_PERIOD_S"]),
        "HPOWEB_RECONCILE_AFTER_S": str(TIMINGS["RECONCILE_AFTER_S"]),
        "HPOWEB_RECONCILE_PERIOD_S": "1",
        "HPOWEB_SOFT_SHUTDOWN_S": str(SOFT_SHUTDOWN_S),
        # Every process of this test carries the mark, so leftovers can be found in /proc.
        "HPOWEB_TEST_MARK": str(mark),
    }


class Beat(CeleryProcess):
    """A `celery beat` process: it only publishes the reaper and reconciler ticks."""

    def __init__(self, log_dir: Path, **env: str) -> None:
        super().__init__(
            "beat", log_dir, ["beat", "--loglevel", "INFO", "-s", str(log_dir / "beat-schedule")], **env
        )


class Fleet:
    """Workers started with the short timings, plus one beat; everything is killed at the end."""

    def __init__(self, workers, tmp_path: Path) -> None:
        self._workers, self.tmp_path = workers, tmp_path
        self.env = timing_env(tmp_path)
        self.beat: Beat | None = None

    def start(self, name: str, queues: str = "hpoweb", **env: str) -> Worker:
        return self._workers.start(name, queues=queues, **{**self.env, **env})

    def start_beat(self) -> Beat:
        self.beat = Beat(self.tmp_path, **self.env)
        return self.beat

    @property
    def processes(self) -> list:
        return [*self._workers.all, *([self.beat] if self.beat else [])]

    def wait_for(self, predicate, timeout: float, what: str):
        return wait_for(predicate, timeout, what, workers=self.processes)

    def wait_for_state(self, study: Study, states: tuple[str, ...], timeout: float = 120) -> Study:
        def reached():
            study.refresh_from_db()
            return study.state in states

        self.wait_for(reached, timeout, f"study {study.name} to reach {states}")
        return study

    def running_attempt(self, study: Study, worker: Worker, timeout: float = 60) -> Attempt:
        """Wait until `worker` runs an attempt of `study` and return it."""
        return self.wait_for(
            lambda: Attempt.objects.filter(
                trial__study=study, state=Attempt.State.RUNNING, worker__startswith=f"{worker.name}@"
            ).first(),
            timeout,
            f"{worker.name} to run a trial",
        )

    def stop(self) -> None:
        if self.beat is not None:
            self.beat.kill()
