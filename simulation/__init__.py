"""SUMO simulation: building scenarios with SUMO's tools, running them through libsumo in
worker processes, KPIs from SUMO's own outputs, what-if variants, comparisons and their
reports and plots. The live twin (stepping in real time) also lives here.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "backend",
    "build",
    "compare",
    "config",
    "detectors",
    "kpis",
    "lines",
    "loop",
    "plots",
    "pt",
    "report",
    "result",
    "run",
    "traveltimes",
    "twin",
    "variants",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
