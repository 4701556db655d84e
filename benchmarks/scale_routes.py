"""The routes `benchmarks/scale.py` times on a study of each size: pages, plot data, API routes, and
the streamed downloads (whose rate and memory it measures apart: a download of a million trials is
not a page).
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlencode

from django.urls import reverse


def summary_routes(study) -> list[tuple[str, str]]:
    """The routes that summarise studies (the list, the project, the study's header and its poll)."""
    return [
        ("study list", reverse("study-list")),
        ("study list rows (poll)", reverse("study-list-rows")),
        ("project page", reverse("project-detail", args=[study.project_id])),
        ("GET /api/studies/", "/api/studies/"),
        ("GET /api/studies/{id}/", f"/api/studies/{study.pk}/"),
        ("study page", study.get_absolute_url()),
        ("study header and leaderboard (poll)", reverse("study-live", args=[study.pk])),
    ]


def all_routes(study) -> list[tuple[str, str]]:
    """Every page, plot and API route of one study, as the dashboard and a client use them."""
    from studies.models import StudySummary
    from studies.plots.data import PLOTS

    pk = study.pk
    summary = StudySummary.objects.select_related("best_trial").get(study=study)
    best = summary.best_trial or study.trials.order_by("number").first()
    last = study.trials.order_by("-number").first()
    twelve = list(study.trials.filter(number__gte=last.number - 11).values_list("pk", flat=True))
    ids = urlencode({"ids": ",".join(map(str, twelve))})
    board = urlencode(
        {"filter": 'lr < 0.01 and layers >= 3 and state == "complete"', "cols": "state,value,param:lr"}
    )
    kinds = [kind for kind in PLOTS if study.is_multi_objective or kind not in ("pareto", "hypervolume")]
    return [
        *summary_routes(study),
        ("project list", reverse("project-list")),
        ("leaderboard page 2", reverse("study-live", args=[pk]) + "?page=2"),
        (
            "leaderboard page 2, sorted by a parameter",
            reverse("study-live", args=[pk]) + "?sort=-param:lr&page=2",
        ),
        ("leaderboard, filtered, 3 columns", reverse("study-live", args=[pk]) + f"?{board}"),
        ("trial page (the best)", reverse("trial-detail", args=[pk, best.number])),
        ("trial page (the last)", reverse("trial-detail", args=[pk, last.number])),
        *[(f"plot: {kind}", reverse("study-plot", args=[pk, kind])) for kind in kinds],
        ("plot: history by time, log", reverse("study-history", args=[pk]) + "?x=time&log=1"),
        ("plot: parallel, top 10 %", reverse("study-plot", args=[pk, "parallel"]) + "?top=10"),
        ("plot: history as CSV", reverse("study-plot-csv", args=[pk, "history"])),
        ("compare (this study)", reverse("study-compare") + f"?studies={pk}"),
        ("12 trials side by side", reverse("trial-compare") + f"?{ids}"),
        ("definition (YAML)", reverse("study-definition", args=[pk, "yaml"])),
        ("delete confirmation", reverse("study-delete", args=[pk])),
        ("offline report (HTML, plotly inlined)", reverse("study-report", args=[pk])),
        ("GET /api/studies/{id}/trials/", f"/api/studies/{pk}/trials/"),
        ("GET /api/trials/{id}/", f"/api/trials/{best.pk}/"),
        ("GET /api/trials/?ids= (12)", reverse("api-trial-list") + f"?{ids}"),
        ("GET /api/studies/{id}/tags/", reverse("api-study-tags", args=[pk])),
        ("GET /api/definition/", reverse("api-definition")),
    ]


def download_routes(study) -> list[tuple[str, str]]:
    pk = study.pk
    board = urlencode({"filter": "layers >= 3", "cols": "state,value,param:lr"})
    return [
        ("export.csv (every trial)", reverse("study-export", args=[pk, "csv"])),
        ("export.json (every trial, attempt and curve point)", f"/api/studies/{pk}/export.json"),
        ("export.csv, filtered, 3 columns", reverse("study-export", args=[pk, "csv"]) + f"?{board}"),
    ]


def time_download(client, url: str, limit_mb: float) -> dict:
    """Seconds to the first chunk and to the end (or to `limit_mb`, where it stops reading), bytes,
    MB/s, and how far the process's resident memory rose above where it started while it streamed."""
    start_rss = _rss_mb()
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    chunks = iter(response.streaming_content)
    size = len(next(chunks))
    first = time.perf_counter() - start
    peak = _rss_mb()
    for k, chunk in enumerate(chunks):
        size += len(chunk)
        if k % 2000 == 0:
            peak = max(peak, _rss_mb())
        if size > limit_mb * 2**20:
            break
    total = time.perf_counter() - start
    response.close()
    return {
        "first_s": first,
        "total_s": total,
        "bytes": size,
        "mb_s": size / 2**20 / total,
        "rise_mb": peak - start_rss,
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
