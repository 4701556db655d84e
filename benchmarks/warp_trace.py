"""Trace gp's constrained steps on gramacy (issue 17 diagnosis): per model step, the objective's and the
constraints' fitted hyperparameters and warp, the feasible incumbent, and at the chosen point the
posterior, log EI, log P(feasible), and what the point turned out to be. Run with PYTHONPATH set to
the tree under test; prints one JSON line per step.

    PYTHONPATH=<tree> python benchmarks/warp_trace.py --seeds 2,4,6 --label shipped > trace.jsonl
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from benchmarks.multi_objective import load_problems, run_hpoweb
from studies.optimizers.gp import optimizer as gp_optimizer
from studies.optimizers.gp.acq_optimizer import AcquisitionMaximizer
from studies.optimizers.gp.acquisition import log_ei

STEPS: list[dict] = []


def _hyper(model) -> dict:
    h = model.gp.hyper
    return {
        "ls": np.exp(h.log_ls).round(4).tolist(),
        "scale": round(math.exp(h.log_scale), 4),
        "noise": float(f"{math.exp(h.log_noise):.3g}"),
        "s": round(float(getattr(h, "warp_strength", 0.0)), 3),
        "spread": float(f"{model.warp.spread:.4g}"),
        "wscale": float(f"{model.warp.scale:.4g}"),
    }


def _feasible_first_value(self, model, gp, best, feasibility, excluded) -> float:
    """The acquisition's best value found by the same search with the feasible points as its centres."""
    value, grad = gp_optimizer.acquisition_functions(gp, best, "ei", 0.0, 2.0)
    value, grad = gp_optimizer._times_feasibility(value, grad, feasibility, math.isfinite(best))
    order = np.lexsort((model.losses, ~feasibility.feasible))
    search = AcquisitionMaximizer(self.space, value, grad, len(model.losses))
    return float(search.maximize(model.X_obs[order], excluded, np.random.default_rng(0)).value)


def _traced(original):
    def model_point(self, model, gp, excluded, rng, feasibility=None, previous=None):
        x, info, polished = original(self, model, gp, excluded, rng, feasibility, previous)
        if x is None or feasibility is None:
            return x, info, polished
        best = gp_optimizer._feasible_incumbent(model, feasibility.feasible)
        mean, var = gp.predict(x[None, :])
        std = math.sqrt(var[0])
        counterfactual = _feasible_first_value(self, model, gp, best, feasibility, excluded)
        cons = []
        for cmodel, bound in feasibility.terms:
            cm, cv = cmodel.gp.predict(x[None, :])
            cons.append({"z": round(float((bound - cm[0]) / math.sqrt(cv[0])), 3), **_hyper(cmodel)})
        STEPS.append(
            {
                "n": len(model.losses),
                "obj": _hyper(model),
                "best_loss": float(np.min(model.losses[feasibility.feasible])),
                "mean_loss": float(model.to_loss(mean, np.array([std]))[0][0]),
                "std_loss": float(model.to_loss(mean, np.array([std]))[1][0]),
                "z_ei": float((best - mean[0]) / std),
                "log_ei": float(log_ei(mean, np.array([std]), best)[0][0]),
                "log_pof": float(feasibility.log_probability(x[None, :])[0]),
                "acq": float(info["acquisition_value"]),
                "acq_feasible_first": counterfactual,
                "cons": cons,
                "x": x.round(5).tolist(),
            }
        )
        return x, info, polished

    return model_point


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="2,4,6")
    parser.add_argument("--label", default="")
    parser.add_argument("--problem", default="gramacy")
    args = parser.parse_args()
    gp_optimizer.GPOptimizer._model_point = _traced(gp_optimizer.GPOptimizer._model_point)
    problem = load_problems()[args.problem]
    for seed in map(int, args.seeds.split(",")):
        STEPS.clear()
        results, _ = run_hpoweb("gp", problem, seed)
        startup = len(results) - len(STEPS)
        for step, r in zip(STEPS, results[startup:], strict=True):
            feasible = r["c1"] <= 0 and r["c2"] <= 0
            truth = {"f": r["f"], "c1": r["c1"], "c2": r["c2"], "feasible": feasible}
            print(json.dumps({"label": args.label, "seed": seed, **step, "truth": truth}), flush=True)


if __name__ == "__main__":
    main()
