"""One scheduler per study at a time: its lease and the request for another step (studies.services.scheduling)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studies", "0013_summary_pareto"),
    ]

    operations = [
        migrations.AddField(
            model_name="studysummary",
            name="scheduler_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="studysummary",
            name="schedule_again",
            field=models.BooleanField(default=False),
        ),
    ]
