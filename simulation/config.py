"""Per-run knobs as one frozen object, and the prepared plan a worker process executes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from its.changes import Variant
from its.scenario import KpiSet

__all__ = ["RunConfig", "RunPlan"]


@dataclass(frozen=True)
class RunConfig:
    """What one simulation run does on top of its scenario.

    ``begin``/``end`` override the scenario's window (seconds); ``kpis`` overrides the
    scenario's KPI switches; ``variant`` applies what-if changes; ``controllers`` are
    :class:`its.control.Controller` objects stepped inside the simulation; ``additional_files``
    are extra SUMO additionals (e.g. a signal plan under evaluation);
    ``time_to_teleport`` is SUMO's option (``-1`` disables teleporting); ``lane_areas`` are
    SUMO lane-area detectors to lay, each ``(id, lanes)`` along consecutive lanes (upstream
    first, to the end of the last), read every ``lane_area_period_s`` (queue lengths).
    """

    seed: int = 42
    begin: float | None = None
    end: float | None = None
    kpis: KpiSet | None = None
    variant: Variant | None = None
    controllers: tuple[Any, ...] = ()
    additional_files: tuple[Path, ...] = ()
    time_to_teleport: float | None = None
    sumo_options: tuple[str, ...] = ()
    label: str = ""
    lane_areas: tuple[tuple[str, tuple[str, ...]], ...] = ()
    lane_area_period_s: float = 60.0


@dataclass(frozen=True)
class RunPlan:
    """A run ready to execute: SUMO's arguments, where outputs go, and what steps it."""

    label: str
    run_dir: Path
    args: tuple[str, ...]
    begin: float
    end: float | None
    kpis: KpiSet
    outputs: dict[str, Path]
    controllers: Sequence[Any] = field(default_factory=tuple)
    exclude_types_prefix: str = "its_"
    scenario: str = ""
    variant: str = ""
    seed: int = 0
