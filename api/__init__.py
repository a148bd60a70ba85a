"""The interfaces: the ``its`` command line, cross-package workflows (``services``), and
the web API. Nothing imports this package.
"""

from __future__ import annotations

__all__ = ["cli", "services"]
