"""Command jobs: programs staff allow workers to run (the admin adds them); a study names one and
never types a command."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

# Never "-" first: a declared name becomes the option `--name=value` and must read as exactly that.
COMMAND_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")


class CommandJob(models.Model):
    """A program staff allow workers to run; web users pick it by name and never type a command."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    argv = models.JSONField(help_text='Argument template, no shell: ["python", "train.py", "{params_args}"].')
    params = models.JSONField(
        default=list,
        blank=True,
        help_text='Parameter names the program accepts, e.g. ["lr", "units"]; a study whose space names '
        "any other is refused. Empty: it accepts none.",
    )
    workdir = models.CharField(max_length=500, blank=True)
    env = models.JSONField(default=dict, blank=True)
    time_limit_s = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A typo in the admin is reported there, not as every trial failing to start."""
        errors = {}
        argv = self.argv if isinstance(self.argv, list) else []
        if not argv or not all(isinstance(a, str) and a for a in argv):
            errors["argv"] = 'A JSON list of non-empty strings, e.g. ["python", "train.py", "{params_args}"].'
        if not (isinstance(self.env, dict) and all(isinstance(v, str) for v in self.env.values())):
            errors["env"] = 'A JSON object of strings, e.g. {"EPOCHS": "10"}.'
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            errors["time_limit_s"] = "A positive number of seconds, or empty for no limit."
        params = self.params if isinstance(self.params, list) else [None]
        if not all(isinstance(p, str) and COMMAND_PARAM_NAME.fullmatch(p) for p in params):
            errors["params"] = (
                'A JSON list of names, each a letter or "_" then letters, digits, "_", "-" or ".", '
                'e.g. ["lr", "batch-size"].'
            )
        if errors:
            raise ValidationError(errors)

    def refused_params(self, names) -> list[str]:
        """The names among `names` this program does not accept, in their order."""
        return [name for name in names if name not in self.params]
