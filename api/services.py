"""Workflows that need more than one domain package, composed here so the packages stay
independent of each other (see DESIGN.md: api → {simulation, signals, gtfs, routing} → its).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from gtfs.blocks import BlockingRules
from gtfs.duties import DriverRules
from gtfs.notices import Report
from gtfs.reblock import DepotSite
from gtfs.write import write_feed
from its.scenario import Scenario
from simulation.build import BuildResult, build

__all__ = ["build_scenario", "ensure_built", "reblock_feed", "validate_feed"]


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


def reblock_feed(
    path: Path,
    day: date,
    rules: BlockingRules,
    *,
    depots: Sequence[DepotSite] = (),
    speed_kmh: float = 25.0,
    as_agency: bool = False,
    pareto: bool = False,
    driver_rules: DriverRules | None = DriverRules(),
    duty_time_s: float = 20.0,
    out: Path | None = None,
) -> dict[str, Any]:
    """Re-block the trips of an existing feed on ``day`` and report the figures.

    Returns the summary the command line prints (see ``its transit block --json``): our
    figures, the agency's where the feed has ``block_id``, the rules used, the trade-off
    table when ``pareto``, and the duties cut from the new blocks under ``driver_rules``
    (None: no duties). With ``out`` the feed is written with the new ``block_id`` values
    and checked by the validator.
    """
    from gtfs.duties import cut_duties
    from gtfs.read import read_feed
    from gtfs.reblock import feed_with_blocks, reblock, trade_offs
    from gtfs.validate import validate
    from gtfs.write import write_tables

    feed = read_feed(path)
    result = reblock(feed, day, rules, depots=depots, speed_kmh=speed_kmh, as_agency=as_agency)
    blocking = result.result
    summary: dict[str, Any] = {
        "feed": str(path),
        "date": day.strftime("%Y%m%d"),
        **blocking.figures.as_dict(),
        "vehicles": blocking.vehicles,
        "duties": None,
        "solve_time_s": round(blocking.solve_time_s, 3),
    }
    if driver_rules is not None:
        rostering = cut_duties(blocking.blocks, result.trips, driver_rules, travel=result.travel, time_limit_s=duty_time_s)
        summary["duties"] = len(rostering.duties)
        summary["duty_paid_hours"] = round(rostering.paid_hours, 3)
        summary["duties_optimal"] = rostering.optimal
    if result.agency is not None:
        summary.update({f"agency_{k}": v for k, v in result.agency.as_dict().items() if k in ("fleet", "blocks", "platform_hours", "deadhead_hours")})
    summary["rules"] = _rules_dict(result.rules)
    summary["violations"] = list(blocking.violations)
    if pareto:
        summary["pareto"] = [{"pullout_cost_h": p.pullout_cost_h, **p.figures.as_dict()} for p in trade_offs(result)]
    if out is not None:
        written = write_tables(feed_with_blocks(feed, blocking), out)
        before = {n.code for n in validate(feed).errors}
        report = validate(read_feed(written))
        summary["output"] = str(written)
        summary["output_errors"] = len(report.errors)
        summary["output_new_errors"] = sorted({n.code for n in report.errors} - before)
    return summary


def _rules_dict(rules: BlockingRules) -> dict[str, Any]:
    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60.0, 2)

    return {
        "layover_min_min": minutes(rules.layover_min_s),
        "layover_max_min": minutes(rules.layover_max_s),
        "deadheads": rules.deadheads,
        "max_deadhead_min": minutes(rules.max_deadhead_s),
        "interlining": rules.interlining,
        "no_interlining": sorted(rules.no_interlining),
        "max_block_h": None if rules.max_block_s is None else round(rules.max_block_s / 3600.0, 3),
        "pullout_cost_h": None if rules.pullout_cost_s is None else rules.pullout_cost_s / 3600.0,
        "vehicle_cost_h": None if rules.vehicle_cost_s is None else rules.vehicle_cost_s / 3600.0,
    }
