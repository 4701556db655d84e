"""Random search: independent uniform draws on the unit cube, or a scrambled Sobol sequence."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.stats import qmc

from .base import Optimizer, SearchExhausted
from .settings import Setting

_DRAWS_PER_POINT = 50


def sobol_points(d: int, seed: int, skip: int, n: int) -> np.ndarray:
    """Points skip .. skip+n-1 of the scrambled Sobol sequence of this seed, so successive calls advance."""
    engine = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed))
    if skip:
        engine.fast_forward(skip)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n not a power of two: fine for us
        return engine.random(n)


class RandomSearch(Optimizer):
    """Uniform on the encoding: log-uniform where `log`, every integer and choice equally likely."""

    name = "random"
    MULTI_OBJECTIVE = True  # it reads no results
    SETTINGS = (
        Setting(
            "sobol",
            "bool",
            False,
            "Draw from a scrambled Sobol sequence (evenly spread) instead of independent draws.",
        ),
    )

    @property
    def reads_history(self) -> bool:
        """Its draws depend on the trials through `made` and by skipping points already tried. Where
        every point holds a continuous parameter, a draw repeats a trial's point with probability about
        1e-9 per trial (the precision `point_keys` compares to): no history needed. A space of discrete
        parameters only needs it, and so does a conditional one: a branch may hold only discrete
        parameters, and the info tells each branch's evidence from the history."""
        space = self.space
        return space.is_conditional or all(p.n_levels for p in space.parameters)

    def _suggest(
        self,
        history: list[tuple[Mapping[str, Any], Any]],
        pending: list[Mapping[str, Any]],
        n: int,
        made: int,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        d = len(self.space)
        if self.settings["sobol"]:
            X = sobol_points(d, self.seed, made, n * _DRAWS_PER_POINT)
        else:
            X = np.random.default_rng([self.seed, made]).random((n * _DRAWS_PER_POINT, d))
        taken = set(self.space.point_keys([params for params, _ in history] + pending))
        out = []
        candidates = self.space.decode(X)
        for params, key in zip(candidates, self.space.point_keys(candidates), strict=True):
            if key in taken:
                continue
            taken.add(key)
            out.append((params, {}))
            if len(out) == n:
                break
        if not out:
            raise SearchExhausted("random search found no point that is not already evaluated or pending")
        return out
