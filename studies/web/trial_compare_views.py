"""Trials side by side: `/trials/compare/?ids=ID,ID,...`, shareable by URL, read-checked per trial."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studies import access, trial_compare
from studies.plots.trial_curves import overlaid_curves_figure


def _column_name(trial) -> str:
    return f"{trial.study.name} #{trial.number}"


@login_required
def trial_compare_page(request):
    """Parameters in rows and trials in columns, differing rows marked; one unreadable trial is a 404."""
    try:
        ids = trial_compare.parse_ids(request.GET.getlist("ids"))
    except trial_compare.TrialIdsError as error:
        return render(request, "studies/trial_compare.html", {"error": str(error)}, status=400)
    trials = access.trials_for_user(request.user, ids)
    trial_compare.load_attempts(trials)
    curves = trial_compare.curves(trials)
    metrics = {trial.study.metric for trial in trials}
    context = {
        "trials": trials,
        "ids": ",".join(str(trial.pk) for trial in trials),
        "params": trial_compare.param_rows(trials),
        "metrics": trial_compare.metric_rows(trials),
        "facts": trial_compare.fact_rows(trials),
        "curves": overlaid_curves_figure(
            [(_column_name(trial), curves[trial.pk]) for trial in trials],
            metrics.pop() if len(metrics) == 1 else "metric",
        ),
    }
    return render(request, "studies/trial_compare.html", context)
