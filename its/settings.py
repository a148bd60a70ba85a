"""Settings of the whole system: one ``BaseSettings`` read from ``ITS_*`` variables.

Build it with :func:`get_settings` (cached) and pass it down; nothing reads the environment
anywhere else.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

_REPO = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration, from environment variables prefixed ``ITS_`` (or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="ITS_", env_file=".env", extra="ignore")

    scenarios_dir: Path = Field(
        default=_REPO / "scenarios",
        description="Folder holding one sub-folder per scenario.",
    )
    runs_dir: Path = Field(default=Path("runs"), description="Default folder for run outputs.")
    sim_timeout_s: float = Field(
        default=3600.0, gt=0, description="Wall-clock limit of one SUMO run, in seconds."
    )
    sim_stall_s: float = Field(
        default=300.0,
        gt=0,
        description="A run that reports no progress for this many seconds is killed as hung.",
    )
    jobs_backend: Literal["thread", "process", "dask"] = Field(
        default="thread",
        description=(
            "How independent jobs run in parallel. Every SUMO run already has its own "
            "worker process, so threads suffice to dispatch them locally."
        ),
    )
    jobs_workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        description="Parallel jobs on this machine.",
    )
    dask_scheduler: str | None = Field(
        default=None, description="Address of a Dask scheduler when jobs_backend is 'dask'."
    )
    database_url: str = Field(
        default="sqlite:///var/its.db", description="SQLAlchemy URL of the store."
    )
    retention_days: float = Field(
        default=30.0, gt=0, description="Readings and conditions history older than this are deleted, days."
    )
    timezone: str = Field(
        default="UTC", description="Local time zone of the area (IANA name), for time-of-day profiles."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
