"""Pages: thin views that fetch through `access`, validate with a form and call one service."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studies import access, leaderboard, pareto_board, recommendation, services
from studies.definition import DefinitionError, check_definition
from studies.jobs import registry as job_registry
from studies.models import StudySummary, Trial
from studies.optimizers.pareto import constraint_violation
from studies.plots import compare, figures, suggestion
from studies.plots.space_tree import space_tree
from studies.study_search import StudySearch
from studies.web.forms import ParameterFormSet, StudyForm
from studies.web.poll_cache import (
    kept_answer,
    renders_after_answering,
    shared_between_viewers,
    viewer_can_edit,
)

PAGE_SIZE = 50


def _listed_studies(request) -> dict:
    """One page of the studies the user may see, filtered and ordered by the query string."""
    search = StudySearch(request.GET)
    if not search.is_valid():
        return {"search": search, "studies": [], "any_running": False}
    visible = access.visible_studies(request.user).with_summary()
    found = search.filter(visible.select_related("owner", "project").prefetch_related("tags"))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    studies = list(page.object_list)
    sparks = compare.sparklines(studies)
    for study in studies:
        study.sparkline = sparks.get(study.pk, "")
    return {
        "search": search,
        "page": page,
        "studies": studies,
        "any_running": any(study.is_running for study in studies),
    }


def _study_list_status(context: dict) -> int:
    return 400 if context["search"].errors else 200


@login_required
def study_list(request):
    context = _listed_studies(request)
    context["projects"] = access.visible_projects(request.user).values_list("name", flat=True)
    return render(request, "studies/study_list.html", context, status=_study_list_status(context))


@login_required
def study_list_rows(request):
    """The study list's table alone, for its poll while a study runs."""
    context = _listed_studies(request)
    return render(request, "studies/_study_rows.html", context, status=_study_list_status(context))


@login_required
def study_create(request):
    projects = access.editable_projects(request.user)
    if not projects.exists():
        messages.error(request, "You are not an editor of any project; ask a project owner or an admin.")
        return redirect("study-list")
    form = StudyForm(request.POST or None, projects=projects, initial={"project": projects.first()})
    formset = ParameterFormSet(request.POST or None, prefix="param")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            definition = check_definition(request.user, form.definition(formset.spec()))
        except DefinitionError as error:
            form.show(error, formset)
        else:
            start = form.cleaned_data["start"]
            study = services.create_study(
                request.user, definition.space, definition.study_fields(), start=start
            )
            messages.success(request, f"Study {study.name} created" + (" and started." if start else "."))
            return redirect(study)
    job_spaces = {
        name: {
            "space": job.space,
            "metric": job.metric,
            "direction": job.direction,
            "objectives": list(job.objectives),
            "constraints": list(job.constraints),
        }
        for name, job in job_registry().items()
    }
    return render(
        request, "studies/study_form.html", {"form": form, "formset": formset, "job_spaces": job_spaces}
    )


def _leaderboard(request, study) -> dict:
    try:
        board = leaderboard.read(study, request.GET)
        metric = leaderboard.pareto_metric(study, board.sort)
    except ValueError as error:
        raise Http404(str(error)) from error
    page_number = request.GET.get("page") or 1
    if metric and not board.error:
        narrowed = board.trials if board.filter or board.state else None
        page, shown = pareto_board.ranked_page(study, metric, page_number, PAGE_SIZE, narrowed)
    else:
        page, page.note = leaderboard.page_of(study, board, page_number, PAGE_SIZE)
        shown = page.object_list
    rows = []
    for trial in shown:
        row = leaderboard.row_of(trial)
        rows.append((trial, [(c, leaderboard.page_cell(c.read(row))) for c in board.columns]))
    narrowing = {"filter": board.filter, "state": board.state, "cols": board.cols}
    return {
        "study": study,
        "page": page,
        "rows": rows,
        "names": board.parameter_names,  # every parameter, for the plots' pickers whatever the columns
        "columns": board.columns,
        "available_columns": board.available.values(),
        "chosen_keys": {c.key for c in board.columns},
        "sort": board.sort,
        "state": board.state,
        "filter": board.filter,
        "cols": board.cols,
        "filter_error": board.error,
        "ranked": bool(metric),
        "pareto_sorts": [(o["metric"], f"pareto:{o['metric']}") for o in study.objectives]
        if study.is_multi_objective
        else [],
        "csv_query": urlencode({k: v for k, v in narrowing.items() if v not in ("", None)}),
    }


def _status(context: dict) -> int:
    return 400 if context.get("filter_error") else 200


def _header(request, study) -> dict:
    """What the study page's header shows; its poll re-renders just this."""
    summary = StudySummary.objects.select_related("best_trial").get(study=study)
    best = summary.best_trial
    return {
        "study": study,
        "can_edit": access.can_edit(request.user, study),
        "counts": {state: n for state, n in summary.counts().items() if n},
        "best": best,
        "recommended": recommendation.recommended(study, best and best.number),
    }


@login_required
def study_detail(request, study_id):
    study = access.study_for_user(request.user, study_id)
    context = {**_leaderboard(request, study), **_header(request, study), "space_tree": space_tree(study)}
    return render(request, "studies/study_detail.html", context, status=_status(context))


def _header_answer(request, study_id):
    study = access.study_for_user(request.user, study_id)
    return render(request, "studies/_study_header.html", _header(request, study))


def _leaderboard_answer(request, study_id):
    study = access.study_for_user(request.user, study_id)
    context = {**_leaderboard(request, study), "out_of_band": True}
    return render(request, "studies/_leaderboard_rows.html", context, status=_status(context))


@login_required
@renders_after_answering
def study_live(request, study_id):
    """The running study page's one poll: its header, and its leaderboard (for the page's query)
    swapped in out of band: one request per viewer every 3 s where there were two, each paying
    for the session, the user and the access check (docs/benchmarks.md, "Many viewers"). Each part
    is shared on its own: the header by whether the viewer may edit, never an editor's, and the
    leaderboard by everyone. A leaderboard the query cannot show (a bad filter) is left as
    it is on the page."""
    can_edit = viewer_can_edit(request, study_id)
    header = kept_answer(
        "live-header", request, study_id, lambda: _header_answer(request, study_id), can_edit=can_edit
    )
    board = kept_answer("live-board", request, study_id, lambda: _leaderboard_answer(request, study_id))
    parts = [header.content] + ([board.content] if board.status_code == 200 else [])
    return HttpResponse(b"".join(parts), content_type=header["Content-Type"])


@login_required
@require_POST
def study_action(request, study_id, action):
    study = access.study_for_user(request.user, study_id, edit=True)
    if services.control_study(action, study, request.user):
        messages.success(request, f"{study.name}: {action} done.")
    else:
        messages.error(request, f"{study.name} cannot {action} while it is {study.state}.")
    return redirect(study)


@login_required
def trial_detail(request, study_id, number):
    trial = access.trial_for_user(request.user, study_id, number)
    previous, following = trial.neighbours()
    context = {**_trial_live(request, trial), "previous": previous, "next": following}
    return render(request, "studies/trial_detail.html", context)


@login_required
@shared_between_viewers
def trial_live(request, study_id, number):
    """A trial page's poll while the trial is not finished: everything on the page but its links to
    the other trials, shared between viewers as the study page's polls are (`poll_cache`)."""
    trial = access.trial_for_user(request.user, study_id, number)
    return render(request, "studies/_trial_live.html", _trial_live(request, trial))


def _trial_live(request, trial) -> dict:
    """What the trial page shows of the trial; its poll re-renders all of it."""
    # A queued trial has no current attempt yet: the points kept are an earlier attempt's.
    points = [] if trial.state == Trial.State.QUEUED else trial.curve()
    study, info = trial.study, trial.suggestion
    # A pruned trial's value is an intermediate one: set against the prediction of a final result it misleads.
    measured = trial.value if trial.state == Trial.State.COMPLETE else None
    return {
        "study": study,
        "trial": trial,
        "live": trial.state not in Trial.FINISHED,
        "attempts": trial.attempts_with_log_flag(),
        "can_edit": access.can_edit(request.user, study),
        "curve": figures.curve_figure(points, study.metric, finished=trial.state in Trial.FINISHED),
        "params": sorted(trial.params.items()),
        "off_branch": trial.off_branch(),
        "why": suggestion.explain(
            info, study.direction, measured, study.optimizer, constrained=bool(study.constraints)
        ),
        "results": _results(study, trial),
        "on_front": study.is_multi_objective and trial.number in StudySummary.pareto_numbers(study),
        "prediction": suggestion.prediction_figure(info, measured, study.metric),
    }


def _results(study, trial) -> list[tuple[str, object, str, bool]]:
    """(metric, value, what it is, whether it breaks its constraint) of each objective and constraint
    of a study that has them."""
    values = trial.values or {}
    out = [(o["metric"], values.get(o["metric"]), f"{o['direction']}", False) for o in study.objectives]
    for c in study.constraints:
        bounds = " and ".join(
            f"{'at most' if k == 'max' else 'at least'} {c[k]:g}" for k in ("max", "min") if k in c
        )
        broken = constraint_violation(values, [c]) > 0  # NaN (no value yet) is not broken
        out.append((c["metric"], values.get(c["metric"]), f"constraint: {bounds}", broken))
    return out


@login_required
@require_POST
def trial_action(request, study_id, number, action):
    trial = access.trial_for_user(request.user, study_id, number, edit=True)
    if services.control_trial(action, trial, request.user):
        messages.success(request, f"Trial {trial.number}: {action} done.")
    else:
        messages.error(request, f"Trial {trial.number} cannot {action} while it is {trial.state}.")
    return redirect(trial)


@login_required
def study_delete(request, study_id):
    """GET asks for confirmation (no script needed), POST deletes."""
    study = access.study_for_user(request.user, study_id, edit=True)
    if request.method != "POST":
        n_trials = StudySummary.objects.get(study=study).n_trials
        return render(request, "transfer/delete.html", {"study": study, "n_trials": n_trials})
    services.delete_study(request.user, study)
    messages.success(request, f"Study {study.name} deleted.")
    return redirect("study-list")
