"""Routing: the road graph weighted by live conditions (fastest and alternative routes, ETAs),
map matching of probe points, and transit journeys over a timetable.

``graph`` (networkit's bidirectional Dijkstra with in-place weight updates), ``matching``
(an HMM over sumolib's spatial index and shapely), ``transit`` (RAPTOR with walking and
real-time delays).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["graph", "matching", "transit"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
