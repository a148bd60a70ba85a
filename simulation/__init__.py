"""SUMO simulation: building scenarios with SUMO's tools, running them through libsumo in
worker processes, KPIs from SUMO's own outputs, what-if variants, comparisons and their
reports and plots. The live twin (stepping in real time) also lives here.
"""

from __future__ import annotations

from its._lazy import submodules

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

__getattr__ = submodules(__name__, __all__)
