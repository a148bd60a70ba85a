"""GTFS and transit scheduling: reading, validating and writing GTFS static feeds,
GTFS-Realtime encode/decode, and the OR-Tools scheduler (frequencies, timetable, blocks,
duties).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["write"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
