import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("studies", "0004_command_params")]

    operations = [
        migrations.AlterField(
            model_name="trial",
            name="enqueued",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                help_text="Last time a run message was published; empty while a retry waits for a free slot.",
                null=True,
            ),
        ),
        migrations.AlterField(model_name="study", name="name", field=models.CharField(max_length=120)),
        migrations.AddConstraint(
            model_name="study",
            constraint=models.UniqueConstraint(fields=("project", "name"), name="unique_study_name_in_project"),
        ),
    ]
