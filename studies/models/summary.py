"""A study's summary: how many of its trials are in each state, and its best trial.

Pages and the API list studies by the thousand and show a study of a million trials; counting and
ranking its trials on each read cost seconds (a correlated subquery per study). So every write that
changes a trial's state moves the counts in the same transaction (`moved`), a complete result offers
itself as the best (`offer_best`), and bulk writes (import, warm start, the demo, the admin) recount
(`recount`). A test checks the counts against a recount after every transition of a trial's life.

With several objectives it keeps the Pareto set too (`pareto`), so the API, exports and plots never
rank every trial to find it.

`n_trials` grows only when trials are created, under the study's lock: scheduling reads it as the
version of the trial set, and the summary row holds scheduling's lease (`services.scheduling`).
"""

from __future__ import annotations

import numpy as np
from django.db import models

from studies.models.studies import Study, Trial
from studies.objectives import front_rows
from studies.optimizers import pareto


class StudySummary(models.Model):
    study = models.OneToOneField(Study, primary_key=True, on_delete=models.CASCADE, related_name="summary")
    n_trials = models.IntegerField(default=0)
    n_queued = models.IntegerField(default=0)
    n_running = models.IntegerField(default=0)
    n_complete = models.IntegerField(default=0)
    n_pruned = models.IntegerField(default=0)
    n_failed = models.IntegerField(default=0)
    n_cancelled = models.IntegerField(default=0)
    # The best complete trial by the (first) objective; under constraints the best feasible one.
    best_trial = models.ForeignKey(Trial, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    best_value = models.FloatField(null=True, blank=True)
    # The best so far by trial number: [number, value] of each trial better than every trial numbered
    # before it, in number order (the study list's sparkline). As long as the best improved, not as
    # long as the study: about ln(n) entries for n trials in random order.
    best_path = models.JSONField(default=list, blank=True)
    # A study with several objectives: [number, each objective's value] of each complete feasible
    # trial no other dominates (its Pareto set), in number order; as long as the front, not the study.
    pareto = models.JSONField(default=list, blank=True)
    # One scheduler at a time (studies.services.scheduling): until when the scheduling step at work
    # holds the study, and whether a result or a change came in meanwhile that needs another step.
    scheduler_until = models.DateTimeField(null=True, blank=True)
    schedule_again = models.BooleanField(default=False)
    # How long the last step that stored trials held the lease: whether a finishing worker waits for
    # the step at work or leaves it a request (0: not known yet).
    step_s = models.FloatField(default=0.0)

    class Meta:
        verbose_name_plural = "study summaries"

    def __str__(self) -> str:
        return f"{self.study_id}: {self.n_trials} trials"

    @property
    def n_finished(self) -> int:
        return self.n_complete + self.n_pruned + self.n_failed + self.n_cancelled

    @property
    def n_active(self) -> int:
        """Queued (waiting for a slot too) or running: what `max_parallel` bounds."""
        return self.n_queued + self.n_running

    def counts(self) -> dict[str, int]:
        """Trials per state, as a dict keyed by `Trial.State` (the study page's header)."""
        return {state: getattr(self, f"n_{state}") for state in Trial.State.values}

    @classmethod
    def moved(cls, study_id: int, source: str | None, target: str, n: int = 1) -> None:
        """`n` trials of the study went from state `source` (None: they are new) to `target`."""
        if n == 0 or source == target:
            return
        change = {f"n_{target}": models.F(f"n_{target}") + n}
        if source is None:
            change["n_trials"] = models.F("n_trials") + n
        else:
            change[f"n_{source}"] = models.F(f"n_{source}") - n
        cls.objects.filter(study_id=study_id).update(**change)

    @classmethod
    def offer_best(
        cls,
        study: Study,
        trial_id: int,
        number: int,
        value: float | None,
        feasible,
        values: dict | None = None,
    ) -> None:
        """A trial just completed with `value` (and with several objectives `values`): it becomes the
        best if it beats the best (ties go to the lower number, as on the leaderboard), enters the
        best path where it improved on every trial numbered before it, and the Pareto set unless a
        member dominates it. Callers hold the study's lock, so offers never race."""
        if value is None or feasible is False:
            return
        summary = cls.objects.filter(study_id=study.pk).values(
            "best_trial__number", "best_value", "best_path", "pareto"
        )
        kept = summary.get()
        change = {}
        if study.is_multi_objective and values:
            point = [values.get(o["metric"]) for o in study.objectives]
            front = with_point(kept["pareto"], number, point, study.objectives)
            if front != kept["pareto"]:
                change["pareto"] = front
        path = with_record(kept["best_path"], number, value, study.direction)
        if path != kept["best_path"]:
            change["best_path"] = path
        if (
            kept["best_value"] is None
            or _better(value, kept["best_value"], study.direction)
            or (value == kept["best_value"] and number < kept["best_trial__number"])
        ):
            change.update(best_trial_id=trial_id, best_value=value)
        if change:
            cls.objects.filter(study_id=study.pk).update(**change)

    @classmethod
    def tally(cls, study: Study) -> dict:
        """The summary's fields counted and ranked afresh from the study's trials."""
        trials = Trial.objects.filter(study=study)
        counts = dict(trials.values_list("state").annotate(n=models.Count("pk")).order_by())
        fields = {f"n_{state}": counts.get(state, 0) for state in Trial.State.values}
        fields["n_trials"] = sum(counts.values())
        best = best_complete(trials, study.direction).values_list("pk", "value").first()
        fields["best_trial_id"], fields["best_value"] = best or (None, None)
        path: list[list] = []
        for number, value in (
            best_complete(trials, study.direction).order_by("number").values_list("number", "value")
        ):
            if not path or _better(value, path[-1][1], study.direction):
                path.append([number, value])
        fields["best_path"] = path
        fields["pareto"] = front_rows(study) if study.is_multi_objective else []
        return fields

    @classmethod
    def pareto_numbers(cls, study: Study) -> list[int]:
        """The numbers of the study's Pareto set (complete, feasible, non-dominated), in number order."""
        front = cls.objects.filter(study_id=study.pk).values_list("pareto", flat=True).first()
        return [row[0] for row in front or []]

    @classmethod
    def recount(cls, study: Study) -> StudySummary:
        """Store a fresh tally: after a bulk write (import, warm start, the demo, the admin)."""
        summary, _ = cls.objects.update_or_create(study=study, defaults=cls.tally(study))
        return summary


def best_complete(trials: models.QuerySet, direction: str) -> models.QuerySet:
    """Complete trials with a value (feasible ones under constraints), best first, lower number first
    among ties: the order `StudySummary.offer_best` keeps its best by."""
    value = models.F("value")
    order = value.asc() if direction == Study.Direction.MINIMIZE else value.desc()
    complete = trials.filter(state=Trial.State.COMPLETE, value__isnull=False).exclude(feasible=False)
    return complete.order_by(order, "number")


def _better(value: float, than: float, direction: str) -> bool:
    return value < than if direction == Study.Direction.MINIMIZE else value > than


def with_record(path: list[list], number: int, value: float, direction: str) -> list[list]:
    """`path` (the best so far by number) once trial `number` completed with `value`, whatever order
    trials finish in: it enters if it beats every trial numbered before it, and the entries after it
    that it beats or ties leave."""
    before = [entry for entry in path if entry[0] < number]
    if before and not _better(value, before[-1][1], direction):
        return path
    after = [entry for entry in path if entry[0] > number and _better(entry[1], value, direction)]
    return [*before, [number, value], *after]


def with_point(front: list[list], number: int, point: list, objectives: list[dict]) -> list[list]:
    """`front` ([number, value per objective] rows in number order) once trial `number` completed
    feasible with `point` (a value per objective): it enters unless a row dominates it, and the rows
    it dominates leave. Equal points all stay, as `objectives.front_mask` keeps them."""
    metrics = [o["metric"] for o in objectives]
    rows = [dict(zip(metrics, values, strict=True)) for values in [point, *(row[1:] for row in front)]]
    loss, *others = pareto.objective_losses(objectives, rows)
    if not np.all(np.isfinite(loss)):
        return front
    if any(pareto.dominates(other, loss) for other in others):
        return front
    kept = [row for row, other in zip(front, others, strict=True) if not pareto.dominates(loss, other)]
    return sorted([*kept, [number, *point]])
