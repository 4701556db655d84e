"""The recommended trial of a study: what to deploy, which on a noisy objective need not be the best value.

The "gp" optimizer recommends the trial with the best posterior mean once its model finds the
objective noisy (studies.optimizers.gp.incumbent); fitting that model is costly, so a worker computes
it with the study's analysis (`compute`, stored as the analysis kind "recommended") and pages and the
API read it (`recommended`). Every other optimizer recommends the best completed trial, which needs no
model. Only completed trials are candidates: a pruned trial's value is from an early step.
"""

from __future__ import annotations

from studies import services, trial_sample
from studies.models import Study, StudyAnalysis
from studies.optimizers import get_optimizer

KIND = "recommended"
_PENDING_ANALYSIS = "the best observed value, until the model's recommendation comes with the next analysis"


def compute(study: Study) -> dict:
    """{"number", "why"} as the study's optimizer recommends among its completed trials (past
    `trial_sample.READ_ALL`, among the plots' sample, which holds the best ones)."""
    read = trial_sample.sample(study)
    rows = list(
        read.narrow(study.trials.completed()).order_by("number").values_list("number", "params", "value")
    )
    optimizer = get_optimizer(
        study.optimizer,
        study.space.spec(),
        direction=study.direction,
        seed=study.seed,
        **study.optimizer_settings,
    )
    found = optimizer.recommend([(params, value) for _, params, value in rows])
    if found is None:
        return {"number": None, "why": "no completed trial yet"}
    return {"number": rows[found.index][0], "why": found.why}


def recommended(study: Study, best_number: int | None) -> dict | None:
    """{"number", "why"} to show for `study` whose best completed trial is `best_number`; None before any.

    Reads the stored analysis for "gp" (a page never fits a model) while it names a trial, and so keeps
    it current while someone reads it.
    """
    if best_number is None:
        return None
    if study.optimizer != "gp":
        return {"number": best_number, "why": "the best observed value"}
    services.mark_watched(study)
    stored = StudyAnalysis.objects.filter(study=study, kind=KIND).values_list("data", flat=True).first()
    if stored and stored.get("number") is not None:
        return {"number": stored["number"], "why": stored["why"]}
    return {"number": best_number, "why": _PENDING_ANALYSIS}
