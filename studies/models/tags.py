"""Tags: short labels editors put on a study (`baseline`, `week-48`) so a team finds it on the list."""

from __future__ import annotations

from django.db import models

from studies.models.studies import Study


class StudyTag(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=32)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["study", "name"], name="unique_study_tag")]
        indexes = [models.Index(fields=["name"], name="study_tag_name")]

    def __str__(self) -> str:
        return self.name
