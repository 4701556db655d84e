from django.db import migrations, models


def accept_what_studies_use(apps, schema_editor):
    """Existing command jobs accept the parameters their studies already pass, so no running study
    starts failing on upgrade; staff narrow the list in the admin."""
    CommandJob = apps.get_model("studies", "CommandJob")
    ParameterRecord = apps.get_model("studies", "ParameterRecord")
    for command in CommandJob.objects.all():
        names = ParameterRecord.objects.filter(space__study__job=f"command:{command.name}")
        command.params = sorted(set(names.values_list("name", flat=True)))
        command.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [
        ("studies", "0003_layout"),
    ]

    operations = [
        migrations.AddField(
            model_name="commandjob",
            name="params",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='Parameter names the program accepts, e.g. ["lr", "units"]; a study whose space '
                "names any other is refused. Empty: it accepts none.",
            ),
        ),
        migrations.RunPython(accept_what_studies_use, migrations.RunPython.noop),
    ]
