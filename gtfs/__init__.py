"""GTFS and transit scheduling: reading, validating and writing GTFS static feeds, and the
OR-Tools scheduler (headways, timetable, vehicle blocks, driver duties) with its charts.

Modules load on first use: ``import gtfs; gtfs.read.read_feed(path)``.
"""

from __future__ import annotations

from its._lazy import submodules

__all__ = [
    "blocking",
    "blocks",
    "charts",
    "checks",
    "deadheads",
    "duties",
    "feed",
    "headways",
    "notices",
    "read",
    "realtime",
    "reblock",
    "relink",
    "schedule",
    "schema",
    "spec",
    "terminals",
    "timetabling",
    "validate",
    "write",
]

__getattr__ = submodules(__name__, __all__)
