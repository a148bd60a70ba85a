"""Transit workflows: validating and re-blocking feeds, scheduling from a spec with run times
from the road network or a simulation run, and a timetable as a scenario's SUMO buses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from api.services.scenarios import ensure_built
from gtfs.blocks import BlockingRules
from gtfs.deadheads import TravelTimes
from gtfs.duties import DriverRules
from gtfs.notices import Report
from gtfs.reblock import DepotSite
from gtfs.schedule import Schedule
from gtfs.terminals import Place
from gtfs.write import write_feed
from its.changes import BusTimetable, Variant
from its.errors import InputError, ScenarioError
from its.scenario import Scenario

__all__ = [
    "materialize_timetables",
    "reblock_feed",
    "road_travel",
    "schedule_charts",
    "schedule_spec",
    "timetable_buses",
    "timetable_variant",
    "validate_feed",
]


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


def road_travel(net_file: Path, *, edges: Any = None) -> Callable[[Sequence[Place]], TravelTimes]:
    """Deadhead times from a SUMO network for the scheduler: fastest paths at free flow, or
    by time of day at the speeds a simulation run measured (its edge data)."""
    from gtfs.deadheads import SlotTable
    from simulation.traveltimes import road_travel_times

    def travel(places: Sequence[Place]) -> TravelTimes:
        starts, seconds = road_travel_times(net_file, [(p.lon, p.lat) for p in places], edges=edges)
        return SlotTable(starts, seconds)

    return travel


def schedule_spec(
    spec_path: Path,
    *,
    out: Path | None = None,
    run_dir: Path | None = None,
    duties: bool = True,
    time_limit_s: float = 20.0,
) -> tuple[Schedule, dict[str, Any]]:
    """Schedule the lines of a spec file and write the feed.

    The spec's ``feed`` (a path, relative to the spec) or ``scenario`` (its own GTFS feed,
    the scenario built first if needed) gives stops, patterns, shapes and run times. With a
    scenario, deadheads follow its road network: at free flow, or by time of day at the
    speeds measured in ``run_dir`` (a folder written by ``its simulate --out``), whose bus
    run times also replace the feed's. The feed written is validated and read back.
    """
    from gtfs.read import read_feed, read_timetable
    from gtfs.schedule import schedule
    from gtfs.spec import read_spec
    from gtfs.validate import validate
    from its.scenario import load
    from its.settings import get_settings
    from simulation._sumocfg import read_sumocfg

    spec = read_spec(spec_path)
    feed = None
    travel = None
    run_times = None
    if spec.feed is not None:
        feed = read_feed((spec_path.parent / spec.feed).resolve())
    if spec.scenario is not None:
        scenario = load(spec.scenario, settings=get_settings())
        ensure_built(scenario)
        if scenario.gtfs is None or not (scenario.gtfs / "stops.txt").is_file():
            raise InputError(f"scenario {scenario.name!r} has no GTFS feed to take the lines from")
        feed = feed or read_feed(scenario.gtfs)
        edges = None
        if run_dir is not None:
            edges, run_times = _measured(run_dir, spec)
        travel = road_travel(read_sumocfg(scenario.sumocfg).net, edges=edges)
    elif run_dir is not None:
        raise InputError("--from-run needs a spec naming its scenario (scenario = \"...\")")
    result = schedule(spec, feed=feed, run_times_s=run_times, travel=travel, duties=duties, time_limit_s=time_limit_s)
    summary: dict[str, Any] = {"spec": str(spec_path), **result.summary()}
    if out is not None:
        written = write_feed(result.timetable, out)
        report = validate(read_feed(written))
        summary["output"] = str(written)
        summary["output_errors"] = len(report.errors)
        summary["output_warnings"] = len(report.warnings)
        summary["round_trip"] = read_timetable(written) == result.timetable
    return result, summary


def _measured(run_dir: Path, spec: Any) -> tuple[Any, dict[tuple[str, int, str], float]]:
    """Edge speeds and bus run times (line, direction, period) from a simulation run folder."""
    from simulation._outputs import read_edgedata, read_tripinfo

    edges_file = run_dir / "edgedata.csv"
    if not edges_file.is_file():
        raise InputError(f"{run_dir}: no edgedata.csv; run `its simulate SCENARIO --out {run_dir}` first")
    edges = read_edgedata(edges_file)
    samples: dict[tuple[str, int, str], list[float]] = {}
    trips_file = run_dir / "tripinfo.csv"
    if trips_file.is_file():
        info = read_tripinfo(trips_file)
        buses = info[info["id"].astype(str).str.startswith("bus_") & info["duration"].notna()]
        for vehicle, depart, duration in zip(buses["id"].astype(str), buses["depart"], buses["duration"], strict=True):
            # buses are named bus_<line>_<out|in>_<HHMM> by the scenario builder
            parts = vehicle.removeprefix("bus_").split("_")
            if len(parts) < 3 or parts[-2] not in ("out", "in"):
                continue
            period = next((p.name for p in spec.periods if p.start <= depart < p.end), None)
            if period is not None:
                samples.setdefault(("_".join(parts[:-2]), 0 if parts[-2] == "out" else 1, period), []).append(float(duration))
    medians = {key: float(np.median(values)) for key, values in samples.items()}
    return edges, medians


def schedule_charts(result: Schedule, folder: Path) -> list[Path]:
    """Draw a schedule: a string-line chart per line, Gantt charts of blocks and duties."""
    from gtfs.charts import plot_duties, plot_gantt, plot_stringlines

    folder.mkdir(parents=True, exist_ok=True)
    paths = plot_stringlines(result.timetable, folder)
    paths.append(plot_gantt(result.blocking.blocks, result.trips, folder / "blocks.png"))
    if result.rostering is not None:
        paths.append(plot_duties(result.rostering.duties, folder / "duties.png"))
    return paths


def timetable_buses(scenario: Scenario, feed_path: Path, target: Path, *, radius_m: float = 100.0) -> dict[str, Any]:
    """Turn a GTFS feed's trips into the scenario's SUMO buses (route file ``target``).

    Feed stops are matched to the scenario's bus stops by id, else to the nearest bus stop
    within ``radius_m`` metres; trips on a stop that matches none are left out (and
    counted). Buses depart within the scenario's window, stop at every bus stop of their
    trip until its timetabled departure, and follow the fastest road between stops.

    Raises
    ------
    ScenarioError
        If the scenario has no bus stops, or no trip of the feed can be placed.
    """
    import sumolib

    from gtfs.read import read_feed, timetable_of
    from gtfs.terminals import haversine_m
    from simulation._sumocfg import read_sumocfg
    from simulation.pt import read_bus_stops, route_patterns, stop_positions, write_bus_vehicles

    ensure_built(scenario)
    config = read_sumocfg(scenario.sumocfg)
    bus_stops = [s for additional in config.additionals for s in read_bus_stops(additional)]
    if not bus_stops:
        raise ScenarioError(f"scenario {scenario.name!r} has no bus stops to run a timetable on")
    timetable = timetable_of(read_feed(feed_path))
    net = sumolib.net.readNet(str(config.net))
    positions = stop_positions(net, bus_stops)
    by_id = {s.stop_id: s for s in bus_stops}
    ids = list(positions)
    lon = np.array([positions[i][0] for i in ids])
    lat = np.array([positions[i][1] for i in ids])
    match: dict[str, str] = {}
    for stop in timetable.stops:
        if stop.stop_id in by_id:
            match[stop.stop_id] = stop.stop_id
            continue
        distance = haversine_m(lon, lat, stop.lon, stop.lat)
        k = int(np.argmin(distance))
        if distance[k] <= radius_m:
            match[stop.stop_id] = ids[k]
    begin = scenario.begin or 0.0
    end = scenario.end if scenario.end is not None else float("inf")
    dwell = 20.0
    trips, skipped = [], 0
    for trip in timetable.trips:
        if not begin <= trip.start_s - dwell < end:
            continue
        if any(c.stop_id not in match for c in trip.stop_times):
            skipped += 1
            continue
        trips.append(replace(trip, stop_times=tuple(replace(c, stop_id=match[c.stop_id]) for c in trip.stop_times)))
    if not trips:
        raise ScenarioError(
            f"no trip of {feed_path} runs in the scenario's window with all its stops at bus stops of {scenario.name!r} ({skipped} trips had unmatched stops)"
        )
    patterns = sorted({tuple(c.stop_id for c in t.stop_times) for t in trips})
    routes = route_patterns(net, by_id, patterns)
    names = {r.route_id: r.short_name or r.route_id for r in timetable.routes}
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bus_vehicles(trips, {t.trip_id: routes[tuple(c.stop_id for c in t.stop_times)] for t in trips}, names, target, dwell_s=dwell)
    return {"routes": str(target), "buses": len(trips), "trips_left_out": skipped, "stops_matched": len(match)}


def timetable_variant(scenario: Scenario, feed_path: Path, folder: Path) -> Variant:
    """A what-if variant running the scenario's buses to another timetable (a GTFS feed)."""
    variant = Variant(
        name=f"timetable:{feed_path.name}",
        changes=(BusTimetable(feed=feed_path),),
        description=f"the buses run to {feed_path}",
    )
    return materialize_timetables(scenario, variant, folder)


def materialize_timetables(scenario: Scenario, variant: Variant | None, folder: Path) -> Variant | None:
    """Turn every ``bus-timetable`` change naming a GTFS feed into SUMO buses on the scenario's
    stops (route files written into ``folder``), so the simulation can apply it."""
    if variant is None or not any(isinstance(c, BusTimetable) and c.feed is not None for c in variant.changes):
        return variant
    changes = []
    for index, change in enumerate(variant.changes):
        if isinstance(change, BusTimetable) and change.feed is not None:
            feed = change.feed if change.feed.is_absolute() else (scenario.root / change.feed)
            if not feed.exists() and change.feed.exists():
                feed = change.feed
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"timetable{index}.rou.xml"
            timetable_buses(scenario, feed.resolve(), target)
            change = BusTimetable(routes=target)
        changes.append(change)
    return replace(variant, changes=tuple(changes))
