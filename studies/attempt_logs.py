"""The kept output of a command job's attempt: written by its worker, read by the trial page."""

from __future__ import annotations

from studies.models import AttemptLog


def save_attempt_log(attempt_id: int, text: str, n_bytes: int, omitted_bytes: int) -> None:
    """Store (or replace) the attempt's log; the attempt's own record, so no fencing is needed."""
    AttemptLog.objects.update_or_create(
        attempt_id=attempt_id,
        defaults={"text": text, "n_bytes": n_bytes, "omitted_bytes": omitted_bytes},
    )
