"""Answers to the study page's polls, shared by everyone watching the study for a moment.

Fifty people watching a running study each poll its header and leaderboard every 3 s and its plots
on their own periods: fifty renders a second of the same data, which on a small server slowed the
workers writing the study by half (docs/benchmarks.md, "Many viewers"). An answer is kept
`settings.POLL_CACHE_S` seconds under its address (the study, the path and query, and whether the
viewer may edit where the answer shows controls), so each is rendered about once in that time
whatever the number of viewers: when it is older, the first viewer to ask is given it too, and their
process renders it again after sending that answer, while the others are given the older one
(without that, every viewer arriving during a slow render rendered it too, and the one who rendered
it waited for the render: on a busy server the slowest refreshes, docs/benchmarks.md). Where none is
kept yet, one viewer renders it and those arriving meanwhile wait for theirs. Access is
checked on every request, in one query, and an answer that holds a CSRF token (an editor's controls)
is never shared. A poll's data is then at most that old plus one render (its period is 3 s); 0 turns
the sharing off.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import partial, wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from studies import access

log = logging.getLogger(__name__)

# Seconds a viewer's render of a stale answer keeps the others on the stale one (a render that fails
# lets go at once; one whose process was killed, after this).
RENDER_S = 30
# How often a viewer waiting for another's first render of an answer looks for it.
AWAIT_S = 0.05


def shared_between_viewers(view):
    """Wraps a GET view `view(request, study_id, ...)` whose answer depends only on the study, the
    address and whether the user may edit it."""

    @wraps(view)
    @renders_after_answering
    def shared(request, study_id, *args, **kwargs):
        if not settings.POLL_CACHE_S or request.method != "GET":
            return view(request, study_id, *args, **kwargs)
        render = partial(view, request, study_id, *args, **kwargs)
        can_edit = viewer_can_edit(request, study_id)
        return kept_answer(view.__name__, request, study_id, render, can_edit=can_edit)

    return shared


def renders_after_answering(view):
    """Lets `kept_answer` put off the renders of stale answers in `view` until its response has been
    sent: the server closes a response after its last byte, and Django runs a response's closers
    then, before it lets go of the request's database connection."""

    @wraps(view)
    def answering(request, *args, **kwargs):
        request.renders_after_answer = []
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            for render_again in request.renders_after_answer:  # not to hold their locks for nothing
                render_again()
            raise
        # Django's own hook for work at close (FileResponse closes its file through it).
        response._resource_closers.extend(request.renders_after_answer)
        return response

    return answering


def viewer_can_edit(request, study_id) -> bool:
    """Whether the viewer may edit the study, in one query; Http404 if they may not see it."""
    return access.role_in_study(request.user, study_id) in access.EDITOR_ROLES


def kept_answer(
    part: str, request, study_id, render: Callable[[], HttpResponse], can_edit: bool | None = None
) -> HttpResponse:
    """The answer kept for `part` of the study at this address (with `can_edit` where the answer
    shows controls), or `render()`'s, kept if it may be shared. A stale answer is given as it is
    and rendered again after the response, so the view must be `renders_after_answering`. The
    caller has checked access."""
    seconds = settings.POLL_CACHE_S
    if not seconds or request.method != "GET":
        return render()
    key = answer_key(part, study_id, can_edit, request.get_full_path())
    kept = cache.get(key)
    if kept is not None and kept[0] > time.time():
        return _answer(kept)
    lock = key + ":render"
    if not cache.add(lock, 1, RENDER_S):  # another viewer renders it
        kept = kept or _awaited(key, lock)
        return _answer(kept) if kept is not None else _render_and_keep(key, seconds, request, render)
    if kept is not None:
        request.renders_after_answer.append(partial(_render_again, key, seconds, request, render))
        return _answer(kept)
    try:
        return _render_and_keep(key, seconds, request, render)
    finally:
        cache.delete(lock)


def answer_key(part: str, study_id, can_edit: bool | None, full_path: str) -> str:
    """Where the answer for `part` of a study at an address is kept."""
    address = f"{part}|{study_id}|{can_edit}|{full_path}"
    return "poll-v2:" + hashlib.sha256(address.encode()).hexdigest()


def _answer(kept: tuple) -> HttpResponse:
    return HttpResponse(kept[1], content_type=kept[2])


def _awaited(key: str, lock: str) -> tuple | None:
    """The answer another viewer is rendering where none is kept yet (viewers opening the page
    together would each render it, all at once), or None if they let go without keeping one (an
    error, or an answer that is not shared)."""
    deadline = time.monotonic() + RENDER_S
    while time.monotonic() < deadline:
        time.sleep(AWAIT_S)
        if cache.get(lock) is None:
            return cache.get(key)
        kept = cache.get(key)
        if kept is not None:
            return kept
    return None


def _render_again(key: str, seconds: float, request, render: Callable[[], HttpResponse]) -> None:
    """Renders a stale answer again once its viewer has been given the old one; Django ignores a
    closer's errors, so a failed render is logged here."""
    try:
        _render_and_keep(key, seconds, request, render)
    except Exception:
        log.exception("rendering the kept answer %s again failed", key)
    finally:
        cache.delete(key + ":render")


def _render_and_keep(key: str, seconds: float, request, render: Callable[[], HttpResponse]):
    """The answer, kept as fresh for `seconds` from when its data was read, and then for as long as
    a render may take, so that viewers arriving while one renders it again are given it."""
    fresh_until = time.time() + seconds
    # Whether this render asks for the user's CSRF token, whatever an earlier part of the request did.
    asked_before = request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", False)
    response = render()
    holds_token = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
    if asked_before:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    if _shareable(response) and not holds_token:
        cache.set(key, (fresh_until, response.content, response["Content-Type"]), seconds + RENDER_S)
    return response


def _shareable(response) -> bool:
    """A plain page of data: not a download (nor one that holds this user's CSRF token, checked by
    the caller: an editor's header, which must never reach another user)."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.has_header("Content-Disposition")
    )
