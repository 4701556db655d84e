from django.db import migrations, models


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
    ]
