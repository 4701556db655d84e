"""Tags on studies: what a tag may look like, and replacing a study's tags (editors, audited)."""

from __future__ import annotations

import re

from django import forms
from django.db import transaction

from studies.models import Study, StudyTag
from studies.services import audit

MAX_TAGS = 10
TAG_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def parse_tags(text: str) -> list[str]:
    """`"baseline, week-48"` -> `["baseline", "week-48"]` (see `check_tags`)."""
    return check_tags(text.split(","))


def check_tags(given: list[str]) -> list[str]:
    """The one rule for a study's tags, from the page or the API: lower-cased, blanks and repeats
    dropped, in order, each a short name, at most `MAX_TAGS`; ValidationError says what is wrong."""
    names = list(dict.fromkeys(part.strip().lower() for part in given if part.strip()))
    bad = [name for name in names if not TAG_PATTERN.fullmatch(name)]
    if bad:
        raise forms.ValidationError(
            f"{bad[0][:40]!r} is not a tag: up to 32 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit."
        )
    if len(names) > MAX_TAGS:
        raise forms.ValidationError(f"At most {MAX_TAGS} tags per study ({len(names)} given).")
    return names


class TagForm(forms.Form):
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. baseline, week-48"
    )

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])


@transaction.atomic
def set_tags(user, study: Study, names: list[str]) -> None:
    """Make `names` the study's tags exactly."""
    study.tags.exclude(name__in=names).delete()
    kept = set(study.tags.values_list("name", flat=True))
    StudyTag.objects.bulk_create([StudyTag(study=study, name=name) for name in names if name not in kept])
    audit(user, "tags", study, ", ".join(names))
