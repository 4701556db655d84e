from django.db import migrations, models


class Migration(migrations.Migration):
    """The last trials to finish through an index: a failure no longer sorts every finished trial."""

    dependencies = [("studies", "0007_conditions")]

    operations = [
        migrations.AddIndex(
            model_name="trial",
            index=models.Index(fields=["study", "finished", "number"], name="trial_study_finished"),
        ),
    ]
