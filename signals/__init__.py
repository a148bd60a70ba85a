"""Signal timing: plans read from and written to SUMO, Webster sizing, coordination offsets,
adaptive controllers (``lookahead``, ours; ``actuated``; ``max-pressure``; ``greedy``),
simulation-in-the-loop search over plans, the plan safety checker, timing sheets,
time-space diagrams, plans derived from adaptive runs, delay and level of service per
junction, and plan swaps into a running simulation.

Pure logic on plain data; SUMO's XML is read and written in the underscore modules. Nothing
here runs SUMO: simulations reach the search as an injected ``evaluate`` callable, and the
controllers are :class:`its.control.Controller` objects the simulation steps. Submodules load
on first use: ``import signals; signals.webster.size(...)``.
"""

from __future__ import annotations

from its._lazy import submodules

__all__ = [
    "actuated",
    "adaptive",
    "approach",
    "baselines",
    "check",
    "controllers",
    "coordinate",
    "deploy",
    "derive",
    "diagram",
    "flows",
    "lookahead",
    "model",
    "performance",
    "phases",
    "plans",
    "search",
    "sheets",
    "webster",
]


__getattr__ = submodules(__name__, __all__)
