"""Answers to the study page's polls, shared by everyone watching the study for a moment.

Fifty people watching a running study each poll its header, leaderboard and plots every 3 s: fifty
renders a second of the same data, which on a small server slowed the workers writing the study by
half (docs/benchmarks.md, "Many viewers"). An answer is kept `settings.POLL_CACHE_S` seconds under
the study, the address and whether the viewer may edit (the header's controls), so each address is
rendered about once in that time whatever the number of viewers; access is checked on every
request, and an answer that holds a CSRF token (an editor's controls) is never shared. A poll's data
is then at most that old (its period is 3 s); 0 turns the sharing off.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from studies import access


def shared_between_viewers(view):
    """Wraps a GET view `view(request, study_id, ...)` whose answer depends only on the study, the
    address and whether the user may edit it."""

    @wraps(view)
    def shared(request, study_id, *args, **kwargs):
        seconds = settings.POLL_CACHE_S
        if not seconds or request.method != "GET":
            return view(request, study_id, *args, **kwargs)
        study = access.study_for_user(request.user, study_id)
        address = (
            f"{view.__name__}|{study.pk}|{access.can_edit(request.user, study)}|{request.get_full_path()}"
        )
        key = "poll:" + hashlib.sha256(address.encode()).hexdigest()
        kept = cache.get(key)
        if kept is not None:
            return HttpResponse(kept[0], content_type=kept[1])
        response = view(request, study_id, *args, **kwargs)
        if _shareable(request, response):
            cache.set(key, (response.content, response["Content-Type"]), seconds)
        return response

    return shared


def _shareable(request, response) -> bool:
    """A plain page of data: not a download, and no form carrying this user's CSRF token (an
    editor's header), which must never reach another user."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.has_header("Content-Disposition")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # set when the view asked for the token
    )
