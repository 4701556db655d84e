"""Finding studies: the study list's and the API's filters and orderings, validated like any input.

    ?id=N&search=TEXT&project=P&state=S&optimizer=O&job=J&owner=U&tag=T&ordering=-updated

`project` and `owner` are names; `search` looks in names and descriptions; `ordering` is one of
`ORDERINGS`, with `-` for descending (the list's default: `-updated`; the API's: `id`, so its pages
stay stable while studies run). The same form serves the page and `GET /api/studies/`.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from studies.models import Study, StudyQuerySet, StudyTag
from studies.optimizers import OPTIMIZERS

ORDERINGS = {
    "id": "pk",
    "name": "name",
    "project": "project__name",
    "state": "state",
    "optimizer": "optimizer",
    "job": "job",
    "owner": "owner__username",
    "created": "created",
    "updated": "updated",
    "trials": "summary__n_trials",
}


def _any(what: str, choices) -> list[tuple[str, str]]:
    """The choices after a blank one that names what it leaves open ("any state")."""
    return [("", f"any {what}"), *choices]


class StudySearch(forms.Form):
    id = forms.IntegerField(required=False, min_value=1)
    search = forms.CharField(required=False, max_length=120)
    project = forms.CharField(required=False, max_length=100)
    state = forms.ChoiceField(required=False, choices=_any("state", Study.State.choices))
    optimizer = forms.ChoiceField(
        required=False, choices=_any("optimizer", ((name, name) for name in OPTIMIZERS))
    )
    job = forms.CharField(required=False, max_length=100)
    owner = forms.CharField(required=False, max_length=150)
    tag = forms.CharField(required=False, max_length=32)
    ordering = forms.ChoiceField(
        required=False,
        choices=[(f"{sign}{key}", f"{sign}{key}") for key in ORDERINGS for sign in ("", "-")],
    )

    def filter(self, studies: StudyQuerySet, default_ordering: str = "-updated") -> StudyQuerySet:
        """`studies` narrowed and ordered as asked (call after `is_valid()`)."""
        data = self.cleaned_data
        if data["search"]:
            studies = studies.filter(
                Q(name__icontains=data["search"]) | Q(description__icontains=data["search"])
            )
        exact = {
            "pk": data["id"],
            "project__name": data["project"],
            "state": data["state"],
            "optimizer": data["optimizer"],
            "job": data["job"],
            "owner__username": data["owner"],
        }
        studies = studies.filter(**{field: value for field, value in exact.items() if value})
        if data["tag"]:
            # A subquery, not a join: joined into the counting query, the tags slow it threefold.
            tagged = StudyTag.objects.filter(name=data["tag"].lower()).values("study_id")
            studies = studies.filter(pk__in=tagged)
        ordering = data["ordering"] or default_ordering
        field = ORDERINGS[ordering.lstrip("-")]
        return studies.order_by(f"-{field}" if ordering.startswith("-") else field, "-pk")
