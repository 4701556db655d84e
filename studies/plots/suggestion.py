"""The trial page's "why this trial": the optimizer's info dict (stored at suggestion time) in words.

`Trial.suggestion` holds what the optimizer said when it proposed the point (see the "gp" optimizer:
acquisition and its value, posterior mean and σ, the incumbent, pending points); this turns it into
sentences and facts a person reads, and sets it against what the trial then measured.
"""

from __future__ import annotations

import math
from typing import Any

from studies.added_trials import HAND_PICKED, RECORDED
from studies.optimizers.gp.acquisition import acquisition_named
from studies.optuna_import import OPTUNA
from studies.plots.parts import horizontal_line, label, note

_KNOWN = {
    "phase",
    "acquisition",
    "acquisition_value",
    "mean",
    "std",
    "incumbent",
    "n_pending",
    "n_observations",
    "by",
    "optuna_number",
    "branch",
    "branch_evidence",
    "weights",
    "scalarised",
    "n_parents",
    "predicted",
    "predicted_std",
    "n_front",
    "log_l_over_g",
    "n_good",
    "n_bad",
    "restart",
    "generation",
    "population",
    "sigma",
    "warm_start",
}
_ADDED = {
    HAND_PICKED: "Hand-picked by {by} and queued; the optimizer did not propose it.",
    RECORDED: "Ran outside hpoweb; its result was recorded by {by}.",
    OPTUNA: "Ran in Optuna (its trial {optuna_number}) before the study was imported.",
}


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.6g}"


def _trials(n: int) -> str:
    return f"{n} trial{'' if n == 1 else 's'}"


def explain(
    info: dict, direction: str, value: float | None, optimizer: str, constrained: bool = False
) -> dict:
    """{"summary": sentence, "facts": [(label, text)], "outcome": sentence or "", "other": [(key, value)]}."""
    if "weights" in info:
        return _scalarised(info, optimizer, constrained)
    if "predicted" in info:
        return _hypervolume(info, optimizer)
    phase = info.get("phase")
    facts: list[tuple[str, str]] = []
    outcome = ""
    if phase in _ADDED:
        summary = _ADDED[phase].format(by=info.get("by") or "a user", optuna_number=info.get("optuna_number"))
    elif phase == "startup":
        summary = (
            f"One of {optimizer}'s start-up points: quasi-random (the centre, then a Sobol sequence), "
            "chosen before a model of the objective was used."
        )
    elif phase == "model" and "acquisition" in info:
        named = acquisition_named(info["acquisition"])
        acq = named.phrase if named else info["acquisition"]
        summary = (
            f"Chosen where {acq} of the Gaussian process was highest; the GP was fitted to "
            f"{info.get('n_observations', '?')} results, and {_trials(info.get('n_pending', 0))} "
            "still running (or earlier in the same batch) counted as pseudo-observations so the batch "
            "spreads out."
        )
        mean, std = info.get("mean"), info.get("std")
        facts.append(("Acquisition", f"{acq}: {_num(info.get('acquisition_value'))}"))
        if info["acquisition"] == "log_ei" and info.get("acquisition_value") is not None:
            facts.append(("Expected improvement", _num(math.exp(info["acquisition_value"]))))
        if mean is not None and std is not None:
            facts.append(
                (
                    "Predicted",
                    f"{_num(mean)} ± {_num(std)} (±2σ: {_num(mean - 2 * std)} … {_num(mean + 2 * std)})",
                )
            )
        facts.append(
            ("Incumbent then", f"{_num(info.get('incumbent'))} (best {direction[:3]}imized value so far)")
        )
        facts.append(("Pending points accounted for", str(info.get("n_pending", 0))))
        outcome = _outcome(value, mean, std, info.get("incumbent"), direction)
    elif phase == "model" and "log_l_over_g" in info:
        summary, facts = _parzen(info, constrained)
    elif phase == "model":
        summary = f"Proposed by {optimizer}'s model of the results so far."
    elif phase == "fallback":
        summary = (
            f"A point no trial had yet, taken in place of what {optimizer} proposed, which had been "
            "evaluated already or was pending."
        )
    elif "generation" in info:
        summary, facts = _cma(info)
    elif "warm_start" in info:
        summary = f"Copied with its result from {info['warm_start']} when this study was warm-started."
    elif phase == "evolution":
        summary = (
            f"Bred by {optimizer} from {info.get('n_parents', 'its')} parents, the best trials so far by "
            "Pareto rank (feasible first) and crowding, by crossover and mutation of their parameters."
        )
    else:
        summary = f"Proposed by {optimizer}" + (
            " (no model: each point is independent of the results)."
            if optimizer in ("random", "grid")
            else "."
        )
    if info.get("branch"):
        path = " → ".join(f"{name} = {value}" for name, value in info["branch"].items())
        facts.append(("Branch", f"{path} (the values that decide which parameters this trial has)"))
        evidence = info.get("branch_evidence", {})
        for name, value in info["branch"].items():
            if name in evidence:
                facts.append(
                    (f"Why {name} = {value}", _branch_reason(evidence[name], phase, optimizer, direction))
                )
    other = [(k, v) for k, v in sorted(info.items()) if k not in _KNOWN]
    return {"summary": summary, "facts": facts, "outcome": outcome, "other": other}


def _parzen(info: dict, constrained: bool) -> tuple[str, list[tuple[str, str]]]:
    """TPE's choice: the candidate with the largest log l(x) - log g(x), the densities of the good
    trials and of the rest."""
    good, rest, score = info.get("n_good", "?"), info.get("n_bad", "?"), info["log_l_over_g"]
    summary = (
        "Chosen where good results looked most likely: TPE modelled the "
        + ("best trial so far" if good == 1 else f"{good} best trials so far")
        + (" (those that meet every constraint first)" if constrained else "")
        + f" and the other {rest} (failed, still running or earlier in the same batch among them) as two "
        "densities over the space, drew candidates near the good trials, and took the one most likely "
        "under the good trials' density relative to the others'."
    )
    ratio = math.exp(score) if score is not None and score < 700 else None
    facts = [
        ("Good : other density ratio", f"{_num(ratio)} (log {_num(score)})"),
        ("Trials modelled", f"{good} good, {rest} other"),
    ]
    return summary, facts


def _cma(info: dict) -> tuple[str, list[tuple[str, str]]]:
    """CMA-ES's sample: a draw from its Gaussian over the space scaled to [0, 1]; its "generation" counts
    the generations the run finished before this one."""
    summary = (
        "Drawn by CMA-ES from its search distribution: a Gaussian over the space (scaled to [0, 1]) "
        "whose centre and shape move towards the best points of each generation."
    )
    facts = [
        ("Generation", f"{info['generation'] + 1} of its run ({info.get('population', '?')} points each)"),
        ("Step size σ", f"{_num(info.get('sigma'))} (of the space's [0, 1] range)"),
        ("Restarts so far", str(info.get("restart", 0))),
    ]
    return summary, facts


def _branch_reason(evidence: dict, phase: str | None, optimizer: str, direction: str) -> str:
    """What the finished trials said of a branch when it was chosen, and what choosing it meant."""
    took, held, best, other = evidence["took"], evidence["held"], evidence["best"], evidence["best_other"]
    said = f"{took} of {held} finished trials had taken it"
    if best is not None:
        said += f", best {_num(best)} there against {_num(other)} on the other values"
    if phase in ("startup", "fallback") or optimizer in ("random", "grid"):
        return said + "; drawn without looking at the results (the start, or a random or grid search)."
    if took == 0 or best is None:
        return said + f"; no result on it yet, so {optimizer} explored it."
    ahead = other is None or (best <= other if direction == "minimize" else best >= other)
    if ahead:
        return said + f"; the best branch so far, so {optimizer} exploited it."
    return said + f"; behind another value so far, but {optimizer} rated a point on it highest (exploring)."


def _hypervolume(info: dict, optimizer: str) -> dict:
    """A suggestion for several objectives by expected hypervolume improvement (one GP per objective),
    or, while no trial met every constraint, by the chance that all constraints hold."""
    front = info.get("n_front", 0)
    if info.get("acquisition") == "log_feasibility":
        summary = (
            f"No finished trial met every constraint yet, so {optimizer} looked for feasibility alone: "
            "it put this trial where the constraints' GPs gave the highest chance that all hold."
        )
        facts = [("Log chance that all constraints hold", _num(info.get("acquisition_value")))]
    else:
        summary = (
            f"Chosen where the expected hypervolume improvement was highest: one GP per objective "
            f"predicted this point, and {optimizer} valued how much of the objective space it would add "
            f"to the front of {front} trial{'s' if front != 1 else ''} (weighed by the chance that every "
            "constraint holds, where there are constraints)."
        )
        facts = [("Log expected hypervolume improvement", _num(info.get("acquisition_value")))]
    spread = info.get("predicted_std") or {}
    predicted = ", ".join(
        f"{metric} {_num(mean)} ± {_num(spread.get(metric))}" for metric, mean in info["predicted"].items()
    )
    facts.append(("Predicted", predicted))
    facts.append(("Trials on the front then", str(front)))
    facts.append(
        ("Results fitted, pending points", f"{info.get('n_observations', '?')}, {info.get('n_pending', 0)}")
    )
    other = [(k, v) for k, v in sorted(info.items()) if k not in _KNOWN]
    return {"summary": summary, "facts": facts, "outcome": "", "other": other}


def _scalarised(info: dict, optimizer: str, constrained: bool) -> dict:
    """A suggestion for several objectives scored on one random weighting of them (ParEGO): the
    weights say which trade-off it aimed at; its prediction is in the weighting's units."""
    weights = info["weights"]
    leaning = max(weights, key=weights.get)
    named = acquisition_named(info.get("acquisition", ""))
    acq = named.phrase if named else info.get("acquisition", "the acquisition")
    summary = (
        f"Aimed at one trade-off of the front: {optimizer} weighted the objectives at random (ParEGO: "
        "an augmented Chebyshev scalarisation of the objectives scaled to [0, 1]) and put this trial "
        f"where {acq} of a GP of that weighted loss was highest; this weighting leaned towards "
        f"{leaning} ({weights[leaning]:.0%})."
    )
    if constrained:
        summary += " Each constraint had its own GP: the acquisition was weighed by the chance that all hold."
    scalarised = info.get("scalarised") or {}
    facts = [("Weights", ", ".join(f"{metric} {w:.2f}" for metric, w in weights.items()))]
    facts.append(("Acquisition", f"{acq}: {_num(info.get('acquisition_value'))}"))
    if scalarised.get("mean") is not None and scalarised.get("std") is not None:
        facts.append(("Predicted weighted loss", f"{_num(scalarised['mean'])} ± {_num(scalarised['std'])}"))
    if scalarised.get("incumbent") is not None:
        facts.append(("Best weighted loss then", _num(scalarised["incumbent"])))
    facts.append(
        ("Results fitted, pending points", f"{info.get('n_observations', '?')}, {info.get('n_pending', 0)}")
    )
    other = [(k, v) for k, v in sorted(info.items()) if k not in _KNOWN]
    return {"summary": summary, "facts": facts, "outcome": "", "other": other}


def _outcome(value, mean, std, incumbent, direction: str) -> str:
    if value is None or mean is None or std is None:
        return ""
    z = (value - mean) / std if std > 0 else math.inf
    where = "inside" if abs(z) <= 2 else "outside"
    text = f"It measured {_num(value)}: {abs(z):.1f}σ from the prediction, {where} the ±2σ band"
    if incumbent is not None:
        better = value < incumbent if direction == "minimize" else value > incumbent
        text += ", and it " + ("improved on" if better else "did not improve on") + " the incumbent"
    return text + "."


def prediction_figure(info: dict, value: float | None, metric: str) -> dict | None:
    """Predicted mean ±2σ against the measured value and the incumbent, when the GP predicted."""
    mean, std = info.get("mean"), info.get("std")
    if mean is None or std is None:
        return None
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "predicted ±2σ",
            "x": ["prediction"],
            "y": [mean],
            "error_y": {"type": "data", "array": [2 * std]},
            "marker": {"size": 10, "color": "#1f77b4"},
        },
    ]
    if value is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "measured",
                "x": ["measured"],
                "y": [value],
                "marker": {"size": 12, "color": "#111", "symbol": "diamond"},
            }
        )
    incumbent = info.get("incumbent")
    marks = {"shapes": [], "annotations": []}
    if incumbent is not None:
        marks["shapes"].append(horizontal_line(incumbent, "#d62728"))
        # above its line, not struck through by it
        position = {"xref": "paper", "x": 1, "xanchor": "right", "y": incumbent, "yanchor": "bottom"}
        position["font"] = {"color": "#d62728"}
        marks["annotations"].append(note("incumbent then", **position))
    return {
        "data": traces,
        "layout": {
            "margin": {"t": 20, "r": 10, "b": 30, "l": 60},
            "yaxis": {"title": {"text": label(metric)}},
            "showlegend": False,
            **marks,
        },
    }
