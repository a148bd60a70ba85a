"""Routing: the road graph weighted by live conditions (fastest and alternative routes, ETAs),
map matching of probe points, and transit journeys over a timetable.
"""

from __future__ import annotations

__all__: list[str] = []
