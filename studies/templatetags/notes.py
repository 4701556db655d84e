"""`{{ text|markdown_safe }}`: a note's Markdown as cleaned HTML (see `studies.notes`)."""

from __future__ import annotations

from django import template

from studies import notes

register = template.Library()


@register.filter
def markdown_safe(text: str):
    return notes.render(text)
