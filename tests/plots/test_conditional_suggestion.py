""" "Why this trial" on a conditional space names the branch the point was taken from."""

from __future__ import annotations

from studies.plots.suggestion import explain


def test_why_this_trial_names_the_branch():
    info = {"phase": "model", "branch": {"model": "svm", "kernel": "poly"}}
    facts = dict(explain(info, "minimize", 0.1, "tpe")["facts"])
    assert facts["Branch"].startswith("model = svm → kernel = poly")
