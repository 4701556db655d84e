"""Each study's summary (counts per trial state, the best trial, the best so far), filled for the
studies that exist; from here on it is kept up to date as trials change state
(studies.models.summary). The (study, state) index of trials gains the number."""

import django.db.models.deletion
from django.db import migrations, models

STATES = ("queued", "running", "complete", "pruned", "failed", "cancelled")


def fill(apps, schema_editor):
    """As `StudySummary.recount`, frozen here: the model's code may change after this migration."""
    Study = apps.get_model("studies", "Study")
    Trial = apps.get_model("studies", "Trial")
    StudySummary = apps.get_model("studies", "StudySummary")
    counts: dict[int, dict[str, int]] = {}
    grouped = Trial.objects.values_list("study_id", "state").annotate(n=models.Count("pk")).order_by()
    for study_id, state, n in grouped:
        counts.setdefault(study_id, {})[state] = n
    summaries = []
    for study_id, direction in Study.objects.values_list("pk", "direction"):
        by_state = counts.get(study_id, {})
        value = models.F("value").asc() if direction == "minimize" else models.F("value").desc()
        complete = Trial.objects.filter(study_id=study_id, state="complete", value__isnull=False).exclude(
            feasible=False
        )
        best = complete.order_by(value, "number").values_list("pk", "value").first()
        path = []
        for number, v in complete.order_by("number").values_list("number", "value").iterator():
            if not path or (v < path[-1][1] if direction == "minimize" else v > path[-1][1]):
                path.append([number, v])
        summaries.append(
            StudySummary(
                study_id=study_id,
                n_trials=sum(by_state.values()),
                **{f"n_{state}": by_state.get(state, 0) for state in STATES},
                best_trial_id=best[0] if best else None,
                best_value=best[1] if best else None,
                best_path=path,
            )
        )
    StudySummary.objects.bulk_create(summaries, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("studies", "0010_comparison"),
    ]

    operations = [
        migrations.CreateModel(
            name="StudySummary",
            fields=[
                (
                    "study",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="summary",
                        serialize=False,
                        to="studies.study",
                    ),
                ),
                ("n_trials", models.IntegerField(default=0)),
                ("n_queued", models.IntegerField(default=0)),
                ("n_running", models.IntegerField(default=0)),
                ("n_complete", models.IntegerField(default=0)),
                ("n_pruned", models.IntegerField(default=0)),
                ("n_failed", models.IntegerField(default=0)),
                ("n_cancelled", models.IntegerField(default=0)),
                ("best_value", models.FloatField(blank=True, null=True)),
                ("best_path", models.JSONField(blank=True, default=list)),
                (
                    "best_trial",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="studies.trial",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "study summaries",
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        # A state's trials in number order (scheduling's open and last cancelled trials), where the
        # (study, state) index left SQLite scanning every trial of the study by number.
        migrations.RemoveIndex(model_name="trial", name="trial_study_state"),
        migrations.AddIndex(
            model_name="trial",
            index=models.Index(fields=["study", "state", "number"], name="trial_study_state_number"),
        ),
    ]
