"""Saved views: a named address (a filtered leaderboard, a comparison of trials or of studies) kept
for a project's team and listed on its page."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studies.models.teams import Project


class SavedView(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    address = models.CharField(max_length=2000, help_text="A path and query string on this site.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_saved_view_name")]

    def __str__(self) -> str:
        return self.name
