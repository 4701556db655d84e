"""The layout issue's schema changes, in one migration that keeps every existing study.

- The stored space's models are named for what they are (`SpaceRecord`, `ParameterRecord`), apart
  from the optimizer's `SearchSpace` and `Parameter`: a rename, the rows stay.
- `Trial.task_id` was never read or written.
- The analysis throttle lives on the study (`analysis_requested`, `analysis_seconds`) instead of a
  `StudyAnalysis` row of kind "requested" among the real results: those rows are carried over, then
  deleted.
"""

from django.db import migrations, models


def marker_rows_to_study_fields(apps, schema_editor):
    StudyAnalysis = apps.get_model("studies", "StudyAnalysis")
    Study = apps.get_model("studies", "Study")
    markers = StudyAnalysis.objects.filter(kind="requested")
    for marker in markers.iterator():
        Study.objects.filter(pk=marker.study_id).update(
            analysis_requested=marker.computed, analysis_seconds=float(marker.data.get("seconds", 0.0))
        )
    markers.delete()


def study_fields_to_marker_rows(apps, schema_editor):
    StudyAnalysis = apps.get_model("studies", "StudyAnalysis")
    Study = apps.get_model("studies", "Study")
    for study in Study.objects.filter(analysis_requested__isnull=False).iterator():
        marker = StudyAnalysis.objects.create(
            study=study, kind="requested", n_trials=0, data={"seconds": study.analysis_seconds}
        )
        StudyAnalysis.objects.filter(pk=marker.pk).update(computed=study.analysis_requested)


class Migration(migrations.Migration):

    dependencies = [
        ("studies", "0002_attempt_log"),
    ]

    operations = [
        migrations.RenameModel(old_name="SearchSpace", new_name="SpaceRecord"),
        migrations.RenameModel(old_name="Parameter", new_name="ParameterRecord"),
        migrations.RemoveField(model_name="trial", name="task_id"),
        migrations.AddField(
            model_name="study",
            name="analysis_requested",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="study",
            name="analysis_seconds",
            field=models.FloatField(default=0.0),
        ),
        migrations.RunPython(marker_rows_to_study_fields, study_fields_to_marker_rows),
    ]
