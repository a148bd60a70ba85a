"""The interfaces: the ``its`` command line, cross-package workflows (``services``), and
the web API. Nothing imports this package.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["cli", "services"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
