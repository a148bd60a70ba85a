"""Workflows that need more than one domain package, composed here so the packages stay
independent of each other (see DESIGN.md: api → {simulation, signals, gtfs, routing} → its).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from gtfs.notices import Report
from gtfs.write import write_feed
from its.scenario import Scenario
from simulation.build import BuildResult, build

__all__ = ["build_scenario", "ensure_built", "validate_feed"]


def build_scenario(scenario: Scenario, *, force: bool = False, step: Callable[[str], None] | None = None) -> BuildResult:
    """Build a scenario's SUMO files and write its bus timetable as its GTFS feed."""
    stale_feed = scenario.gtfs is not None and not (scenario.gtfs / "stops.txt").is_file()
    result = build(scenario, force=force or stale_feed, step=step)
    if result.timetable is not None and scenario.gtfs is not None:
        if step is not None:
            step("GTFS feed")
        write_feed(result.timetable, scenario.gtfs)
    return result


def ensure_built(scenario: Scenario, *, step: Callable[[str], None] | None = None) -> BuildResult | None:
    """Build a generated scenario if it is missing or its sources changed; None for plain ones."""
    if scenario.build is None:
        return None
    return build_scenario(scenario, step=step)


def validate_feed(path: Path, *, today: date | None = None) -> Report:
    """Read and validate a GTFS feed. A feed that cannot be opened at all (no such file,
    not a zip) raises GTFSError; anything inside it is a notice in the report."""
    from gtfs.read import read_feed
    from gtfs.validate import validate

    return validate(read_feed(path), today=today)
