"""Each study's summary keeps its Pareto set (studies.models.summary), filled here for the studies
with several objectives that exist."""

from django.db import migrations, models


def fill(apps, schema_editor):
    """As `StudySummary.tally`'s Pareto set; `front_rows` reads only trials and the study's fields,
    which the historical models have."""
    from studies.objectives import front_rows

    Study = apps.get_model("studies", "Study")
    StudySummary = apps.get_model("studies", "StudySummary")
    for study in Study.objects.all():
        if len(study.objectives or []) > 1:
            StudySummary.objects.filter(study=study).update(pareto=front_rows(study))


class Migration(migrations.Migration):
    dependencies = [
        ("studies", "0012_chosen_trial"),
    ]

    operations = [
        migrations.AddField(
            model_name="studysummary",
            name="pareto",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
