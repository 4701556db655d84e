"""How long the last scheduling step held the study's lease (studies.services.scheduling)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studies", "0014_scheduler_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="studysummary",
            name="step_s",
            field=models.FloatField(default=0.0),
        ),
    ]
