"""Feed intake: every live source becomes the same normalised :class:`readings.Reading`.

``detectors`` reads detector batches (JSON, NDJSON, CSV and raw PeMS station files),
``probes`` pseudonymises probe-vehicle points and turns map-matched tracks into readings;
GTFS-Realtime vehicle positions are composed into readings in ``api.services`` (the core may
not import ``gtfs``). Bad rows are counted per reason while the good rows of a batch are kept.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["detectors", "probes", "readings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
