"""Small display helpers the pages share: settings as words, how long ago, a study's progress, who may
create."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from studies import access, leaderboard, study_diff

register = template.Library()


@register.filter
def pairs(settings: dict) -> str:
    """`{"xi": 0.01}` as `xi: 0.01`: a person reads settings, not a Python dict."""
    return ", ".join(f"{key}: {value}" for key, value in settings.items())


@register.filter
def cell(value):
    """A value as the leaderboard shows it (floats to 6 significant digits), so the header's best
    reads like the table's."""
    return leaderboard.page_cell(value)


@register.filter
def spec(parameter: dict) -> str:
    """A parameter's definition in a line, as the compare page writes it."""
    return study_diff.spec_text(parameter)


@register.filter
def last_line(text: str) -> str:
    """An error's last non-blank line: a traceback ends with the exception a person looks for first."""
    lines = [line for line in str(text).splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, as Django's `timesince` words it ("3 minutes ago"), or "just now" under a minute,
    where `timesince` says "0 minutes" (a moment ahead of this server's clock is just now too)."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def progress_total(study) -> int:
    """What a study's progress counts to: its budget, or what it finished when it completed early
    (an exhausted grid)."""
    return study.summary.n_finished if study.state == study.State.COMPLETED else study.max_trials


@register.simple_tag(takes_context=True)
def may_create_studies(context) -> bool:
    """Whether the page's user may create (or import) a study in some project."""
    return context["request"].user.is_authenticated and bool(_editable(context["request"]))


@register.simple_tag(takes_context=True)
def editable_projects(context) -> list:
    """The projects the page's user may save a view into."""
    return _editable(context["request"])


def _editable(request) -> list:
    """The user's editable projects, read once per request: the menu and "Save this view" both ask."""
    if not hasattr(request, "_editable_projects"):
        request._editable_projects = list(access.editable_projects(request.user).order_by("name"))
    return request._editable_projects
