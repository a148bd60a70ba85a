"""The shared core: settings, errors, units, geometry, the network and transit value models,
the control protocol, KPI arithmetic, the scenario spec and loader, and the job-runner seam.

Nothing here imports the four domain packages (simulation, signals, gtfs, routing) or api.
Submodules load on first use: ``import its; its.scenario.load(...)``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "changes",
    "conditions",
    "control",
    "errors",
    "feeds",
    "geo",
    "jobs",
    "kpi",
    "network",
    "registry",
    "scenario",
    "settings",
    "storage",
    "transit",
    "units",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
