"""Markdown notes on studies and trials: rendered with `markdown`, then cleaned by `nh3` to an allow-list.

The cleaner runs on the HTML the renderer produced, so raw HTML typed into a note (a `<script>`, an
`onerror` attribute, a `javascript:` link) is removed whatever the Markdown did with it.
"""

from __future__ import annotations

import markdown
import nh3
from django import forms
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe

from studies.definition import LIMITS
from studies.models import Study, Trial
from studies.services import audit

MAX_NOTE = int(LIMITS["note"].high)
_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip


def render(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    return mark_safe(
        nh3.clean(
            html,
            tags=_TAGS,
            attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        required=False, max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 6}), strip=False
    )


@transaction.atomic
def save_note(user, target: Study | Trial, text: str) -> None:
    """Store the note (an update of that one column, so a concurrent state change is not overwritten)."""
    type(target).objects.filter(pk=target.pk).update(note=text)
    target.note = text
    study = target if isinstance(target, Study) else target.study
    audit(user, "note", study, "" if isinstance(target, Study) else f"trial {target.number}")
