from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("studies", "0004_command_params")]

    operations = [
        migrations.AlterField(model_name="study", name="name", field=models.CharField(max_length=120)),
        migrations.AddConstraint(
            model_name="study",
            constraint=models.UniqueConstraint(fields=("project", "name"), name="unique_study_name_in_project"),
        ),
    ]
