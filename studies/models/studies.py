"""Studies, their search spaces, trials, attempts, learning curves, analyses and the workers that run them.

Single-row state transitions live here as conditional updates that report whether they won;
workflows that touch several rows or enqueue work live in `studies.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from studies.models.teams import Project
from studies.optimizers import SearchSpace


class SpaceRecord(models.Model):
    """A study's search space as stored: its parameters are rows (`ParameterRecord`); `spec()` is the
    optimizer's `SearchSpace`, `to_dict()` the one JSON form used everywhere."""

    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return ", ".join(p.name for p in self.parameters.all())

    @classmethod
    def create_from_dict(cls, spec: dict) -> SpaceRecord:
        """Validate `spec` with the optimizer's codec (ValueError names the parameter), then store it."""
        normalized = SearchSpace.from_dict(spec).to_dict()
        space = cls.objects.create()
        ParameterRecord.objects.bulk_create(
            ParameterRecord.from_spec(space, position, name, p)
            for position, (name, p) in enumerate(normalized.items())
        )
        return space

    def to_dict(self) -> dict:
        return {p.name: p.to_spec() for p in self.parameters.all()}

    def spec(self) -> SearchSpace:
        return SearchSpace.from_dict(self.to_dict())

    @staticmethod
    def spec_of(space_id: int) -> SearchSpace:
        """The optimizer's space from the parameter rows alone, without reading the space's own row."""
        rows = ParameterRecord.objects.filter(space_id=space_id)
        return SearchSpace.from_dict({p.name: p.to_spec() for p in rows})


class ParameterRecord(models.Model):
    """One parameter of a stored space, in the optimizer's terms (`to_spec()`)."""

    class Kind(models.TextChoices):
        FLOAT = "float"
        INT = "int"
        CATEGORICAL = "categorical"

    space = models.ForeignKey(SpaceRecord, on_delete=models.CASCADE, related_name="parameters")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    log = models.BooleanField(default=False)
    step = models.FloatField(null=True, blank=True)
    choices = models.JSONField(null=True, blank=True)
    when = models.JSONField(
        null=True, blank=True, help_text="Parent -> values: the parameter exists only while they hold."
    )

    class Meta:
        ordering = ["space", "position"]
        constraints = [models.UniqueConstraint(fields=["space", "name"], name="unique_parameter_name")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_spec(cls, space: SpaceRecord, position: int, name: str, spec: dict) -> ParameterRecord:
        return cls(
            space=space,
            position=position,
            name=name,
            kind=spec["type"],
            low=spec.get("low"),
            high=spec.get("high"),
            log=bool(spec.get("log", False)),
            step=spec.get("step"),
            choices=spec.get("choices"),
            when=spec.get("when"),
        )

    def to_spec(self) -> dict:
        if self.kind == self.Kind.CATEGORICAL:
            spec = {"type": "categorical", "choices": self.choices}
        else:
            cast = int if self.kind == self.Kind.INT else float
            spec = {"type": self.kind, "low": cast(self.low), "high": cast(self.high), "log": self.log}
            if self.step is not None:
                spec["step"] = cast(self.step)
        if self.when:
            spec["when"] = self.when
        return spec


class StudyQuerySet(models.QuerySet):
    def with_counts(self) -> StudyQuerySet:
        """Annotate the numbers the study list shows, in the same query."""
        return self.annotate(
            n_trials=models.Count("trials"),
            n_complete=models.Count("trials", filter=models.Q(trials__state=Trial.State.COMPLETE)),
            n_failed=models.Count("trials", filter=models.Q(trials__state=Trial.State.FAILED)),
            n_finished=models.Count("trials", filter=models.Q(trials__state__in=Trial.FINISHED)),
            best_min=models.Min("trials__value", filter=models.Q(trials__state=Trial.State.COMPLETE)),
            best_max=models.Max("trials__value", filter=models.Q(trials__state=Trial.State.COMPLETE)),
        )

    def with_summary(self) -> StudyQuerySet:
        """The counts and what the API shows with them; read through `summaries()`."""
        related = self.with_counts().select_related("owner", "project", "space")
        return related.prefetch_related("space__parameters")

    def summaries(self) -> list[Study]:
        """The studies, each with `best_number`, `best_value` and `best_params` (None before a complete
        trial), in two more queries whatever their number: the best trial's id per study, apart from
        the counts (grouped with them, PostgreSQL ran the subquery once per trial), then those trials."""
        studies = list(self)
        best_pks = dict(
            Study.objects.filter(pk__in=[s.pk for s in studies])
            .annotate(best_pk=_best_trial_pk())
            .values_list("pk", "best_pk")
        )
        best = Trial.objects.only("number", "value", "params").in_bulk([pk for pk in best_pks.values() if pk])
        for study in studies:
            trial = best.get(best_pks.get(study.pk))
            study.best_number, study.best_value, study.best_params = (
                (trial.number, trial.value, trial.params) if trial else (None, None, None)
            )
        return studies


def _best_trial_pk() -> models.Case:
    """The id of a study's best complete trial (the best feasible one under constraints; `feasible`
    is empty without), ties to the lower number; for `Study.objects.annotate`."""
    complete = Trial.objects.filter(study=models.OuterRef("pk"), state=Trial.State.COMPLETE).exclude(
        feasible=False
    )
    lowest = complete.order_by(models.F("value").asc(nulls_last=True), "number")
    highest = complete.order_by(models.F("value").desc(nulls_last=True), "number")
    return models.Case(
        models.When(direction=Study.Direction.MINIMIZE, then=models.Subquery(lowest.values("pk")[:1])),
        default=models.Subquery(highest.values("pk")[:1]),
    )


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
    # When a worker was last asked to analyse the study, and how long its last analysis took: together
    # they throttle analysis (services.enqueue_analysis).
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
            models.Index(fields=["study", "state"], name="trial_study_state"),
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
