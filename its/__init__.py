"""The shared core: settings, errors, units, geometry, the network and transit value models,
the control protocol, KPI arithmetic, the scenario spec and loader, and the job-runner seam.

Nothing here imports the four domain packages (simulation, signals, gtfs, routing) or api.
Submodules load on first use: ``import its; its.scenario.load(...)``.
"""

from __future__ import annotations

from its._lazy import submodules

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

__getattr__ = submodules(__name__, __all__)
