""" "Why this trial" on a conditional space names the branch the point was taken from."""

from __future__ import annotations

from studies.plots.suggestion import explain


def test_why_this_trial_names_the_branch():
    info = {"phase": "model", "branch": {"model": "svm", "kernel": "poly"}}
    facts = dict(explain(info, "minimize", 0.1, "tpe")["facts"])
    assert facts["Branch"].startswith("model = svm → kernel = poly")


def test_why_this_trial_says_why_the_branch_was_chosen():
    ahead = {"took": 8, "held": 20, "best": 0.1, "best_other": 0.3}
    facts = dict(
        explain(
            {"phase": "model", "branch": {"model": "svm"}, "branch_evidence": {"model": ahead}},
            "minimize",
            0.1,
            "tpe",
        )["facts"]
    )
    assert facts["Why model = svm"] == (
        "8 of 20 finished trials had taken it, best 0.1 there against 0.3 on the other values; "
        "the best branch so far, so tpe exploited it."
    )
    behind = {"model": {**ahead, "best": 0.5}}
    facts = dict(
        explain(
            {"phase": "model", "branch": {"model": "svm"}, "branch_evidence": behind}, "minimize", 0.1, "gp"
        )["facts"]
    )
    assert "behind another value so far" in facts["Why model = svm"]
    facts = dict(
        explain(
            {"phase": "model", "branch": {"model": "svm"}, "branch_evidence": behind}, "maximize", 0.1, "gp"
        )["facts"]
    )
    assert "the best branch so far" in facts["Why model = svm"]
    startup = {"phase": "startup", "branch": {"model": "svm"}, "branch_evidence": behind}
    assert (
        "without looking at the results"
        in dict(explain(startup, "minimize", 0.1, "tpe")["facts"])["Why model = svm"]
    )
