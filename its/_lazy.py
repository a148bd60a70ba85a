"""Lazy submodules: ``import simulation; simulation.run.run(...)`` without importing every
submodule (and its heavy dependencies) when the package is imported."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any


def submodules(package: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<name>`` on first access."""
    known = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in known:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
