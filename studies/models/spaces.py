"""Stored search spaces: a study's parameters as rows, and their translation to the optimizer's
`SearchSpace` (the one JSON form used everywhere)."""

from __future__ import annotations

from django.db import models

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
