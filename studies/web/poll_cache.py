"""Answers to the study page's polls, shared by everyone watching the study for a moment.

Fifty people watching a running study each poll its header, leaderboard and plots every 3 s: fifty
renders a second of the same data, which on a small server slowed the workers writing the study by
half (docs/benchmarks.md, "Many viewers"). An answer is kept `settings.POLL_CACHE_S` seconds under
the study, the address and whether the viewer may edit (the header's controls), so each address is
rendered about once in that time whatever the number of viewers: when it is older, the first viewer
to ask renders it again while the others are given the older one (without that, every viewer
arriving during a slow render rendered it too). Access is checked on every request, in one query,
and an answer that holds a CSRF token (an editor's controls) is never shared. A poll's data is then
at most that old plus one render (its period is 3 s); 0 turns the sharing off.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from studies import access

# Seconds a viewer's render of a stale answer keeps the others on the stale one (a render that fails
# lets go at once; one whose process was killed, after this).
RENDER_S = 30


def shared_between_viewers(view):
    """Wraps a GET view `view(request, study_id, ...)` whose answer depends only on the study, the
    address and whether the user may edit it."""

    @wraps(view)
    def shared(request, study_id, *args, **kwargs):
        seconds = settings.POLL_CACHE_S
        if not seconds or request.method != "GET":
            return view(request, study_id, *args, **kwargs)
        can_edit = access.role_in_study(request.user, study_id) in access.EDITOR_ROLES
        address = f"{view.__name__}|{study_id}|{can_edit}|{request.get_full_path()}"
        key = "poll-v2:" + hashlib.sha256(address.encode()).hexdigest()
        kept = cache.get(key)
        if kept is not None and (kept[0] > time.time() or not cache.add(key + ":render", 1, RENDER_S)):
            return HttpResponse(kept[1], content_type=kept[2])
        try:
            return _render_and_keep(view, key, seconds, request, study_id, *args, **kwargs)
        finally:
            if kept is not None:
                cache.delete(key + ":render")

    return shared


def _render_and_keep(view, key: str, seconds: float, request, *args, **kwargs):
    """The view's answer, kept as fresh for `seconds` from when its data was read, and then for as
    long as a render may take, so that viewers arriving while one renders it again are given it."""
    fresh_until = time.time() + seconds
    response = view(request, *args, **kwargs)
    if _shareable(request, response):
        cache.set(key, (fresh_until, response.content, response["Content-Type"]), seconds + RENDER_S)
    return response


def _shareable(request, response) -> bool:
    """A plain page of data: not a download, and no form carrying this user's CSRF token (an
    editor's header), which must never reach another user."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.has_header("Content-Disposition")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # set when the view asked for the token
    )
