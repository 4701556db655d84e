"""At 800 px, a laptop's half screen: no page grows wider than the window (wide tables scroll in
their own box), links and buttons keep their words together, and a number never breaks across lines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import services
from studies.models import Trial
from studies.services import Outcome, WorkerIdentity
from tests.web.browser import log_in

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TINY = {"type": "float", "low": 1e-7, "high": 1e-5, "log": True}
SPACE = {f"a_long_parameter_name_{i}": TINY for i in range(8)}
TRACEBACK = "Traceback (most recent call last):\n    value = run_job(job)\n" + "^" * 120 + "\nRuntimeError"
LINES_OF = (
    "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
)
# the menu, the study page's tools (export, warm start, ...), a project member's "Change role"
WHOLE = "header.top nav a, .tools a, table.grid .actions button"


def _run(study, outcomes: list[Outcome]) -> None:
    study.set_state("running")
    for trial_id, outcome in zip(services.schedule_trials(study.pk), outcomes, strict=True):
        attempt = services.claim_trial(trial_id, WorkerIdentity.current("worker-with-a-long-name"))
        services.finish_attempt(attempt.pk, outcome)


def test_at_800_px_wide_tables_scroll_in_their_box_and_words_stay_whole(
    page, live_server, cast, make_study, project
):
    wide = make_study(name="a-study-with-many-parameters", space=SPACE, max_trials=3, max_parallel=3)
    _run(wide, [Outcome("complete", value=1.33937e-06 * (i + 1)) for i in range(3)])
    failing = make_study(name="failing", max_trials=1, max_parallel=1, max_retries=0)
    _run(failing, [Outcome("failed", reason=TRACEBACK)])
    page.set_viewport_size({"width": 800, "height": 900})
    log_in(page, live_server.url, "staff", "pw-staff")
    for url in [
        reverse("study-list"),
        reverse("worker-list"),
        reverse("trial-detail", args=[failing.pk, 1]),
        reverse("project-detail", args=[project.pk]),
        reverse("trial-compare")
        + "?"
        + "&".join(f"ids={pk}" for pk in Trial.objects.values_list("pk", flat=True)),
        reverse("study-compare") + f"?studies={wide.pk}&studies={failing.pk}",
        reverse("study-detail", args=[wide.pk]),
    ]:
        page.goto(live_server.url + url)
        width = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert width <= 0, f"{url} is {width} px wider than the window"
        broken = [e.inner_text() for e in page.locator(WHOLE).all() if e.evaluate(LINES_OF) > 1]
        assert not broken, f"broken over two lines on {url}: {broken}"
    cells = page.locator("#leaderboard td.num")
    assert cells.count() > 8
    assert all(cell.evaluate(LINES_OF) == 1 for cell in cells.all()), "a number wrapped"
    page.goto(live_server.url + reverse("trial-detail", args=[failing.pk, 1]))
    attempts = page.locator(".scroll-x:has(pre.reason)")
    assert attempts.evaluate("e => e.scrollWidth <= e.clientWidth"), "a traceback's long line widened it"
    assert not page.errors


def test_at_390_px_a_phone_the_team_pages_and_comparisons_stay_inside_the_window(
    page, live_server, cast, make_study, project
):
    project.name = "A project with a name long enough to widen any select that lists it"
    project.save()
    wide = make_study(name="a-study-with-many-parameters", space=SPACE, max_trials=3, max_parallel=3)
    _run(wide, [Outcome("complete", value=1.33937e-06 * (i + 1)) for i in range(3)])
    other = make_study(name="another-study-with-a-long-name", max_trials=1, max_parallel=1)
    _run(other, [Outcome("complete", value=2.0)])
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "staff", "pw-staff")
    page.goto(live_server.url + reverse("token-list"))
    page.fill("#id_name", "a token with a rather long name for its column")
    page.click("text=Create token")
    page.locator("#new-token").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for url in [
        reverse("project-list"),
        reverse("project-detail", args=[project.pk]),
        reverse("token-list"),
        reverse("audit-list"),
        reverse("study-compare") + f"?studies={wide.pk}&studies={other.pk}",
        reverse("trial-compare")
        + "?"
        + "&".join(f"ids={pk}" for pk in wide.trials.values_list("pk", flat=True)),
        reverse("trial-detail", args=[wide.pk, 2]),
    ]:
        page.goto(live_server.url + url)
        width = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert width <= 0, f"{url} is {width} px wider than the window"
    assert not page.errors


def test_at_800_px_the_space_editor_keeps_its_values_readable(page, live_server, cast):
    page.set_viewport_size({"width": 800, "height": 900})
    log_in(page, live_server.url, "owner", "pw-owner")
    page.goto(live_server.url + reverse("study-create"))
    page.select_option("select[name=job]", "digits_models")
    page.click("#load-job-space")
    rows = page.locator("#param-table tbody tr.param-row:not(.hidden)")
    rows.nth(11).wait_for()  # the job's twelve parameters
    boxes = rows.locator("input[name$='-name'], input[name$='-low'], select[name$='-type']")
    narrow = [box.evaluate("e => e.name") for box in boxes.all() if box.bounding_box()["width"] < 90]
    assert not narrow, f"squeezed to under 90 px: {narrow[:4]}"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert not page.errors
