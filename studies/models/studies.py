"""Studies, trials, attempts, learning curves, analyses, the workers that run them and command jobs
(stored spaces are in `spaces`, a study's counts and best trial in `summary`).

Single-row state transitions live here as conditional updates that report whether they won;
workflows that touch several rows or enqueue work live in `studies.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from studies.models.spaces import SpaceRecord
from studies.models.teams import Project


class StudyQuerySet(models.QuerySet):
    def with_summary(self) -> StudyQuerySet:
        """Each study with its summary (counts per state, the best trial) and its chosen trial joined in:
        one query however many trials the studies hold (`StudySummary` is kept up to date as trials
        change state)."""
        return self.select_related("summary", "summary__best_trial", "chosen_trial", "chosen_by")


class Study(models.Model):
    class Direction(models.TextChoices):
        MINIMIZE = "minimize"
        MAXIMIZE = "maximize"

    class State(models.TextChoices):
        DRAFT = "draft"
        RUNNING = "running"
        PAUSED = "paused"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="studies")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="studies")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.MINIMIZE)
    metric = models.CharField(max_length=64, default="loss")
    # Empty for a study defined by `metric`/`direction`; else its objectives (the first mirrored in
    # `metric`/`direction`) and constraints, as `studies.objectives` checks them.
    objectives = models.JSONField(default=list, blank=True)
    constraints = models.JSONField(default=list, blank=True)
    space = models.OneToOneField(SpaceRecord, on_delete=models.PROTECT, related_name="study")
    optimizer = models.CharField(max_length=32, default="random")
    optimizer_settings = models.JSONField(default=dict, blank=True)
    seed = models.IntegerField(default=0)
    pruner = models.CharField(max_length=32, default="none")
    pruner_settings = models.JSONField(default=dict, blank=True)
    job = models.CharField(max_length=100)
    job_settings = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=64, default="hpoweb")
    max_trials = models.PositiveIntegerField(default=20)
    max_parallel = models.PositiveIntegerField(default=2)
    max_retries = models.PositiveIntegerField(default=1, help_text="Extra attempts after a failed one.")
    max_consecutive_failures = models.PositiveIntegerField(
        default=5, help_text="The study stops after this many trials fail in a row."
    )
    trial_timeout_s = models.FloatField(
        null=True, blank=True, help_text="Kill a trial's job after this long."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    state_reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    # The trial a team picked to use (say, one trade-off on the Pareto front), why, who and when.
    chosen_trial = models.ForeignKey(
        "Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_note = models.TextField(blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(null=True, blank=True)
    # When the analysis last asked of a worker runs (its countdown's end), and how long the last
    # analysis took: together they throttle analysis (services.enqueue_analysis).
    analysis_requested = models.DateTimeField(null=True, blank=True)
    analysis_seconds = models.FloatField(default=0.0)

    # What a person chooses when defining a study, besides its name and project: the one list that the
    # service, the API and export/import share.
    DEFINITION_FIELDS = (
        "description",
        "direction",
        "metric",
        "optimizer",
        "optimizer_settings",
        "seed",
        "pruner",
        "pruner_settings",
        "job",
        "job_settings",
        "queue",
        "max_trials",
        "max_parallel",
        "max_retries",
        "max_consecutive_failures",
        "trial_timeout_s",
    )

    # Stored only when a study was defined with objectives (see `studies.objectives`).
    OBJECTIVE_FIELDS = ("objectives", "constraints")

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["-updated"]
        verbose_name_plural = "studies"
        # Per project, so a name taken in another project tells a stranger nothing.
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_study_name_in_project")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("study-detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state == self.State.RUNNING

    @property
    def is_multi_objective(self) -> bool:
        return len(self.objectives) > 1

    def set_state(self, state: str, reason: str = "", only_from: tuple[str, ...] | None = None) -> bool:
        """Move to `state` with one conditional update; False when the study was not in `only_from`."""
        qs = Study.objects.filter(pk=self.pk)
        if only_from is not None:
            qs = qs.filter(state__in=only_from)
        won = qs.update(state=state, state_reason=reason, updated=timezone.now()) == 1
        if won:
            self.state, self.state_reason = state, reason
        return won


class TrialQuerySet(models.QuerySet):
    def queued_or_running(self) -> TrialQuerySet:
        return self.filter(state__in=Trial.QUEUED_OR_RUNNING)

    def completed(self) -> TrialQuerySet:
        return self.filter(state=Trial.State.COMPLETE)

    def leaderboard(self, direction: str) -> TrialQuerySet:
        """Best first; unfinished trials after finished ones."""
        value = models.F("value")
        order = (
            value.asc(nulls_last=True)
            if direction == Study.Direction.MINIMIZE
            else value.desc(nulls_last=True)
        )
        return self.order_by(order, "number")


class Trial(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETE = "complete"
        PRUNED = "pruned"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (State.COMPLETE, State.PRUNED, State.FAILED, State.CANCELLED)
    QUEUED_OR_RUNNING = (State.QUEUED, State.RUNNING)

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="trials")
    number = models.PositiveIntegerField()
    params = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    value = models.FloatField(null=True, blank=True)
    # A study with objectives: every metric the result carried, and whether its constraints held.
    values = models.JSONField(null=True, blank=True)
    feasible = models.BooleanField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    enqueued = models.DateTimeField(
        default=timezone.now,
        null=True,
        blank=True,
        help_text="Last time a run message was published; empty while a retry waits for a free slot.",
    )
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    n_attempts = models.PositiveIntegerField(default=0)
    attempt = models.ForeignKey(
        "Attempt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The attempt allowed to write; writes of any other attempt are rejected.",
    )
    suggestion = models.JSONField(default=dict, blank=True, help_text="Why the optimizer proposed it.")
    note = models.TextField(blank=True)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["study", "number"]
        constraints = [models.UniqueConstraint(fields=["study", "number"], name="unique_trial_number")]
        indexes = [
            # a state's trials in number order: the open and the last cancelled ones for scheduling
            models.Index(fields=["study", "state", "number"], name="trial_study_state_number"),
            models.Index(fields=["study", "value"], name="trial_study_value"),
            models.Index(fields=["state", "enqueued"], name="trial_state_enqueued"),
            # the last trials to finish, for the stop after consecutive failures
            models.Index(fields=["study", "finished", "number"], name="trial_study_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.study} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("trial-detail", args=[self.study_id, self.number])

    @property
    def duration_s(self) -> float | None:
        if self.started and self.finished:
            return (self.finished - self.started).total_seconds()
        return None

    def curve(self) -> list[tuple[int, float]]:
        """The learning curve of the attempt that counts."""
        return list(self.metrics.filter(attempt_id=self.attempt_id).values_list("step", "value"))

    def neighbours(self) -> tuple[Trial | None, Trial | None]:
        """The study's trials just before and after this one by number (None at either end): the trial
        page walks through a study without going back to its leaderboard."""
        siblings = Trial.objects.filter(study_id=self.study_id).only("study_id", "number")
        before = siblings.filter(number__lt=self.number).order_by("-number").first()
        after = siblings.filter(number__gt=self.number).order_by("number").first()
        return before, after

    def off_branch(self) -> list[str]:
        """The space's parameters this trial does not have: those its branch of a conditional space
        switches off (none in a flat space)."""
        names = self.study.space.parameters.order_by("position").values_list("name", flat=True)
        return [name for name in names if name not in self.params]

    def attempts_with_log_flag(self) -> models.QuerySet:
        """Its attempts, each with `has_log` (a command job's kept output), without loading the logs."""
        kept = AttemptLog.objects.filter(attempt=models.OuterRef("pk"))
        return self.attempts.annotate(has_log=models.Exists(kept))


class Attempt(models.Model):
    """One execution of a trial; its id fences every write the execution makes."""

    class State(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        PRUNED = "pruned"
        FAILED = "failed"
        INTERRUPTED = "interrupted"
        CANCELLED = "cancelled"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.RUNNING)
    worker = models.CharField(max_length=200, blank=True)
    host = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    claimed = models.DateTimeField(default=timezone.now)
    heartbeat = models.DateTimeField(default=timezone.now)
    ended = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why the attempt ended, for a person.")

    class Meta:
        ordering = ["trial", "number"]
        constraints = [models.UniqueConstraint(fields=["trial", "number"], name="unique_attempt_number")]
        indexes = [models.Index(fields=["state", "heartbeat"], name="attempt_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.trial} attempt {self.number}"


class TrialMetric(models.Model):
    """One learning-curve point; idempotent per (attempt, step)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="metrics")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="metrics")
    step = models.IntegerField()
    value = models.FloatField()

    class Meta:
        ordering = ["trial", "step"]
        constraints = [models.UniqueConstraint(fields=["attempt", "step"], name="unique_metric_step")]

    def __str__(self) -> str:
        return f"{self.trial} step {self.step}: {self.value}"


class WorkerStatus(models.Model):
    """What each worker last said about itself; the workers page reads it."""

    name = models.CharField(max_length=200, unique=True)
    host = models.CharField(max_length=200)
    pid = models.IntegerField()
    queues = models.CharField(max_length=200, blank=True)
    started = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    last_consumed = models.DateTimeField(null=True, blank=True)
    current_trial = models.ForeignKey(
        Trial, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StudyAnalysis(models.Model):
    """Costly analysis (GP fits, importance, posterior slices) computed by a worker, read by pages."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="analyses")
    kind = models.CharField(max_length=32)
    n_trials = models.PositiveIntegerField()
    data = models.JSONField()
    computed = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "kind"], name="unique_analysis_kind")]

    def __str__(self) -> str:
        return f"{self.study} {self.kind} ({self.n_trials} trials)"


class AttemptLog(models.Model):
    """What a command job printed (stdout and stderr as read), bounded: head and tail of a huge output."""

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="log")
    text = models.TextField()
    n_bytes = models.BigIntegerField(help_text="Bytes the program printed in all.")
    omitted_bytes = models.BigIntegerField(default=0, help_text="Bytes dropped between head and tail.")

    TAIL_CHARS = 8000

    def __str__(self) -> str:
        return f"log of {self.attempt}"

    @property
    def tail(self) -> str:
        return self.text[-self.TAIL_CHARS :]
