"""The interfaces: the ``its`` command line, cross-package workflows (``services``), and
the web API. Nothing imports this package.
"""

from __future__ import annotations

from its._lazy import submodules

__all__ = ["cli", "services"]

__getattr__ = submodules(__name__, __all__)
