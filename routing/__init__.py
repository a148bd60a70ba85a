"""Routing: the road graph weighted by live conditions (fastest and alternative routes, ETAs),
map matching of probe points, and transit journeys over a timetable.

``graph`` (networkit's bidirectional Dijkstra with in-place weight updates), ``matching``
(an HMM over sumolib's spatial index and shapely), ``transit`` (RAPTOR with walking and
real-time delays).
"""

from __future__ import annotations

from its._lazy import submodules

__all__ = ["graph", "matching", "transit"]

__getattr__ = submodules(__name__, __all__)
