"""Forms of the team pages: projects, members, API tokens and the audit log's query string."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from studies.models import Membership, Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class TokenForm(forms.Form):
    EXPIRY_DAYS = [
        ("", "never"),
        ("1", "1 day"),
        ("7", "7 days"),
        ("30", "30 days"),
        ("90", "90 days"),
        ("365", "1 year"),
    ]

    name = forms.CharField(max_length=100, initial="token")
    expires_in = forms.TypedChoiceField(
        choices=EXPIRY_DAYS, coerce=int, empty_value=None, required=False, label="Expires after"
    )

    def expires(self):
        days = self.cleaned_data["expires_in"]
        return None if days is None else timezone.now() + timedelta(days=days)


class AuditQuery(forms.Form):
    action = forms.CharField(required=False, max_length=32)
    user = forms.CharField(required=False, max_length=150)
    page = forms.IntegerField(required=False, min_value=1)
