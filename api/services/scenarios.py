"""Scenario workflows: building a scenario's SUMO files and writing its bus timetable as GTFS."""

from __future__ import annotations

from collections.abc import Callable

from gtfs.write import write_feed
from its.scenario import Scenario
from simulation.build import BuildResult, build

__all__ = ["build_scenario", "ensure_built"]


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
