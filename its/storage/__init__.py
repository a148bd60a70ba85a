"""Storage of readings, conditions history, the time-of-day profiles, real-time transit
messages and the daily pseudonym keys, with SQLAlchemy: SQLite in WAL mode by default and
PostgreSQL by URL (``ITS_DATABASE_URL``); the schema is migrated with Alembic (the
migrations ship inside this package).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["models", "repository"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
