"""Benchmark jobs with several metrics: each returns `{metric: value}` for a study with objectives.

Definitions, spaces and metric names match `mo_problems()` in ../shared/bench/problems.py exactly (a
test checks it); with `noise` 0 a result is a pure function of the params.
"""

from __future__ import annotations

import math
import time
import zlib

import numpy as np

from studies.jobs import Job, Reporter
from studies.optimizers.settings import Setting


def _vector(p: dict, d: int) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(1, d + 1)], dtype=float)


def zdt1(p: dict) -> dict[str, float]:
    """ZDT1 (6-D): a convex front f2 = 1 - sqrt(f1) where x2..x6 are 0."""
    x = _vector(p, 6)
    g = 1 + 9 * np.sum(x[1:]) / 5
    return {"f1": float(x[0]), "f2": float(g * (1 - math.sqrt(x[0] / g)))}


def dtlz2(p: dict) -> dict[str, float]:
    """DTLZ2 (6-D, 3 objectives): the front is the unit sphere's positive octant."""
    x = _vector(p, 6)
    g = float(np.sum((x[2:] - 0.5) ** 2))
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return {
        "f1": (1 + g) * math.cos(a) * math.cos(b),
        "f2": (1 + g) * math.cos(a) * math.sin(b),
        "f3": (1 + g) * math.sin(a),
    }


def gramacy(p: dict) -> dict[str, float]:
    """Gramacy et al. (2016): minimise f = x1 + x2 under c1 <= 0 and c2 <= 0; optimum 0.599788."""
    x1, x2 = p["x1"], p["x2"]
    return {
        "f": x1 + x2,
        "c1": 1.5 - x1 - 2 * x2 - 0.5 * math.sin(2 * math.pi * (x1**2 - 2 * x2)),
        "c2": x1**2 + x2**2 - 1.5,
    }


_UNIT6 = {f"x{i}": {"type": "float", "low": 0.0, "high": 1.0, "log": False} for i in range(1, 7)}
SPACES = {
    "zdt1": _UNIT6,
    "dtlz2": _UNIT6,
    "gramacy": {n: {"type": "float", "low": 0.0, "high": 1.0, "log": False} for n in ("x1", "x2")},
}
SETTINGS = (
    Setting("duration_s", "float", 0.0, "Seconds the job takes.", min=0.0, max=86400.0),
    Setting("noise", "float", 0.0, "Standard deviation of Gaussian noise on each metric.", min=0.0, max=1e6),
    Setting(
        "fail_rate", "float", 0.0, "Probability that the job raises, to rehearse failures.", min=0.0, max=1.0
    ),
)


def as_measurement(objective):
    """Wrap a pure multi-metric function so it takes time, may fail and adds noise like a real job."""

    def job(params: dict, settings: dict, reporter: Reporter) -> dict[str, float]:
        rng = np.random.default_rng(zlib.crc32(repr(sorted(params.items())).encode()))
        if settings["fail_rate"] and rng.random() < settings["fail_rate"]:
            raise RuntimeError("simulated failure (fail_rate)")
        time.sleep(settings["duration_s"])
        noise = settings["noise"]
        return {
            k: v + (noise * float(rng.standard_normal()) if noise else 0.0)
            for k, v in objective(params).items()
        }

    return job


_MIN = "minimize"
# the objectives and constraints of each problem, as the study form and API take them
DEFINITIONS = {
    "zdt1": ([{"metric": "f1", "direction": _MIN}, {"metric": "f2", "direction": _MIN}], []),
    "dtlz2": ([{"metric": f"f{i}", "direction": _MIN} for i in (1, 2, 3)], []),
    "gramacy": (
        [{"metric": "f", "direction": _MIN}],
        [{"metric": "c1", "max": 0.0}, {"metric": "c2", "max": 0.0}],
    ),
}

JOBS = [
    Job(
        name,
        as_measurement(fn),
        doc,
        space=SPACES[name],
        settings=SETTINGS,
        metric=DEFINITIONS[name][0][0]["metric"],
        objectives=tuple(DEFINITIONS[name][0]),
        constraints=tuple(DEFINITIONS[name][1]),
    )
    for name, fn, doc in [
        ("zdt1", zdt1, "ZDT1 (6-D), objectives f1 and f2 to minimise; reference point (11, 11)."),
        ("dtlz2", dtlz2, "DTLZ2 (6-D), objectives f1, f2, f3 to minimise; reference point (1.1, 1.1, 1.1)."),
        ("gramacy", gramacy, "Gramacy (2-D): minimise f under c1 <= 0 and c2 <= 0; optimum 0.599788."),
    ]
]
