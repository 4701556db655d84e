"""hpoweb's optimizers: pure numpy/scipy, stateless, no Django (see tests/optimizers/test_imports.py).

The names below are loaded when first used (PEP 562), so importing a light submodule such as
`studies.optimizers.settings` (the job registry's settings schema) does not import every optimizer
and scipy: the worker's job host forks every callable job, and a host holding scipy made each fork
cost twice the CPU (tests/workers/test_job_host.py)."""

from __future__ import annotations

from importlib import import_module

_WHERE = {
    "OPTIMIZERS": ".registry",
    "Optimizer": ".base",
    "Parameter": ".space",
    "SearchExhausted": ".base",
    "SearchSpace": ".space",
    "Setting": ".settings",
    "SettingError": ".settings",
    "SpaceError": ".space",
    "get_optimizer": ".registry",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)
