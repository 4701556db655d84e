"""Conditional parameters: a stored parameter may carry `when` (parent -> values); existing ones have none."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("studies", "0006_objectives")]

    operations = [
        migrations.AddField(
            model_name="parameterrecord",
            name="when",
            field=models.JSONField(
                blank=True,
                help_text="Parent -> values: the parameter exists only while they hold.",
                null=True,
            ),
        ),
    ]
