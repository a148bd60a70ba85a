"""GTFS and transit scheduling: reading, validating and writing GTFS static feeds, and the
OR-Tools scheduler (headways, timetable, vehicle blocks, driver duties) with its charts.

Modules load on first use: ``import gtfs; gtfs.read.read_feed(path)``.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
