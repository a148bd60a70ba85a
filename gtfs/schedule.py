"""The scheduler: from a spec (lines, run times, demand, standards, rules) to a timetable with
vehicle blocks and driver duties, as the core's :class:`its.transit.Timetable`.

Steps, each with OR-Tools: headways per line and period (:mod:`gtfs.headways`, CP-SAT),
departures (:mod:`gtfs.timetabling`, CP-SAT), vehicle blocks (:mod:`gtfs.blocking`,
min-cost flow), driver duties (:mod:`gtfs.duties`, set partitioning). Stops, patterns,
shapes and run times may come from an existing feed (:func:`lines_from`); run times may
also be given by the caller (measured in the simulation or from live conditions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gtfs.blocking import Blocking, block_trips
from gtfs.blocks import BlockingRules, BlockTrip, Depot
from gtfs.deadheads import StraightLine, TravelTimes
from gtfs.duties import DriverRules, Rostering, cut_duties
from gtfs.feed import Feed, trip_ends
from gtfs.headways import LineDemand, Period, ServiceStandards, choose_headways
from gtfs.spec import LineSpec, ScheduleSpec
from gtfs.terminals import Place, haversine_m, line_names, match_terminals, station_of
from gtfs.timetabling import Direction, Transfer, departures
from its.errors import InfeasibleError, InputError
from its.transit import Agency, Route, Service, Shape, Stop, StopTime, Timetable, Trip

__all__ = ["Line", "Schedule", "lines_from", "schedule"]

#: A function giving deadhead times for places (terminals, then depots).
TravelFactory = Callable[[Sequence[Place]], TravelTimes]


@dataclass(frozen=True)
class Line:
    """A line ready to schedule: per direction (0 outbound, 1 inbound) its stops, each stop's
    share of the run time, run times by period (seconds), demand by hour (passengers an hour
    at the maximum load point) and shape."""

    spec: LineSpec
    patterns: dict[int, tuple[str, ...]]
    shares: dict[int, tuple[float, ...]]
    run_s: dict[int, dict[str, float]]
    demand: dict[int, dict[int, float]]
    shapes: dict[int, tuple[tuple[float, float], ...]]


@dataclass(frozen=True)
class Schedule:
    """What the scheduler made."""

    timetable: Timetable
    headways: dict[tuple[str, str], float]
    trips: tuple[BlockTrip, ...]
    blocking: Blocking
    rostering: Rostering | None
    places: tuple[Place, ...]

    def summary(self) -> dict[str, object]:
        figures = self.blocking.figures.as_dict()
        return {
            **figures,
            "vehicles": self.blocking.vehicles,
            "duties": len(self.rostering.duties) if self.rostering else None,
            "duty_paid_hours": round(self.rostering.paid_hours, 3) if self.rostering else None,
            "solve_time_s": round(self.blocking.solve_time_s + (self.rostering.solve_time_s if self.rostering else 0.0), 3),
            "headways_min": {f"{line}/{period}": h for (line, period), h in sorted(self.headways.items())},
        }


def _stops_table(stops: Sequence[Stop]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stop_id": [s.stop_id for s in stops],
            "stop_name": [s.name for s in stops],
            "stop_lon": [repr(s.lon) for s in stops],
            "stop_lat": [repr(s.lat) for s in stops],
            "parent_station": [s.parent_station or "" for s in stops],
            "location_type": [str(s.location_type) for s in stops],
        },
        dtype=str,
    )


def _hour(text: str) -> int:
    try:
        return int(text.split(":")[0])
    except ValueError:
        raise InputError(f"demand: {text!r} is not an hour; use '07' or '07:00'") from None


def lines_from(spec: ScheduleSpec, feed: Feed | None) -> tuple[list[Line], list[Stop]]:
    """The spec's lines made concrete, with stops, patterns, shares, run times and shapes
    taken from the spec or else from ``feed`` (by line name)."""
    stops = [Stop(s.id, s.name, s.lon, s.lat, parent_station=s.station) for s in spec.stops]
    stations = {s.station for s in spec.stops if s.station}
    for station in sorted(stations - {s.id for s in spec.stops}):
        members = [s for s in spec.stops if s.station == station]
        stops.append(Stop(station, members[0].name, float(np.mean([m.lon for m in members])), float(np.mean([m.lat for m in members])), location_type=1))
    ends = trip_ends(feed) if feed is not None else pd.DataFrame()
    names = line_names(feed.table("routes.txt")) if feed is not None else {}
    if feed is not None:
        by_id = {s.stop_id for s in stops}
        table = feed.table("stops.txt")
        for row in table.to_dict("records"):
            if row["stop_id"] not in by_id:
                stops.append(
                    Stop(
                        row["stop_id"],
                        row.get("stop_name", ""),
                        float(row.get("stop_lon") or "nan"),
                        float(row.get("stop_lat") or "nan"),
                        parent_station=row.get("parent_station") or None,
                        location_type=int(row.get("location_type") or 0),
                    )
                )
    coords = {s.stop_id: (s.lon, s.lat) for s in stops}
    lines = []
    for spec_line in spec.lines:
        mine = ends[ends["route_id"].map(names) == spec_line.name] if not ends.empty else ends
        patterns: dict[int, tuple[str, ...]] = {}
        given = {0: spec_line.outbound, 1: spec_line.inbound}
        for direction in (0, 1):
            if given[direction]:
                patterns[direction] = tuple(given[direction])
            elif not mine.empty:
                rows = mine[mine["direction_id"].replace("", "0") == str(direction)]
                if not rows.empty:
                    patterns[direction] = tuple(rows["pattern"].value_counts().index[0].split(">"))
        if not patterns:
            raise InputError(
                f"line {spec_line.name}: no stops given and no line of that name in the feed"
                + (f" (lines there: {', '.join(sorted(set(names.values())))})" if names else "")
            )
        for pattern in patterns.values():
            unknown = [s for s in pattern if s not in coords]
            if unknown:
                raise InputError(f"line {spec_line.name}: unknown stop(s) {', '.join(unknown)}")
        shares, run_s, shapes = {}, {}, {}
        for direction, pattern in patterns.items():
            observed = mine[mine["pattern"] == ">".join(pattern)] if not mine.empty else mine
            shares[direction] = _shares(feed, observed, pattern, coords)
            run_s[direction] = _run_times(spec, spec_line, direction, observed)
            shapes[direction] = _shape(feed, observed, pattern, coords)
        demand: dict[int, dict[int, float]] = {0: {}, 1: {}}
        for hour, value in spec_line.demand.items():
            out, back = (value, value) if isinstance(value, int | float) else value
            demand[0][_hour(hour)] = float(out)
            demand[1][_hour(hour)] = float(back)
        lines.append(Line(spec_line, patterns, shares, run_s, demand, shapes))
    return lines, stops


def _shares(feed: Feed | None, observed: pd.DataFrame, pattern: tuple[str, ...], coords: Mapping[str, tuple[float, float]]) -> tuple[float, ...]:
    """Each stop's share of the run time: from the feed's trips of the pattern (median
    times), else by straight-line distance along the stops."""
    if feed is not None and not observed.empty:
        times = feed.stop_times
        calls = times[times["trip_id"].isin(observed["trip_id"])]
        first = calls.groupby("trip_id")["departure_s"].transform("first")
        last = calls.groupby("trip_id")["arrival_s"].transform("last")
        share = (calls["arrival_s"] - first) / (last - first).replace(0, np.nan)
        position = calls.groupby("trip_id").cumcount()
        median = share.groupby(position).median().to_numpy()
        if len(median) == len(pattern) and np.all(np.isfinite(median)):
            return tuple(float(x) for x in np.maximum.accumulate(median))
    lon = np.array([coords[s][0] for s in pattern])
    lat = np.array([coords[s][1] for s in pattern])
    steps = np.concatenate([[0.0], np.cumsum(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]))])
    return tuple(float(x) for x in (steps / steps[-1] if steps[-1] > 0 else np.linspace(0, 1, len(pattern))))


def _run_times(spec: ScheduleSpec, line: LineSpec, direction: int, observed: pd.DataFrame) -> dict[str, float]:
    """Run time (s) per period: the spec's, else the feed's median for trips starting in
    the period (the nearest period's where none does)."""
    result: dict[str, float] = {}
    medians: dict[str, float] = {}
    for period in spec.periods:
        if not observed.empty:
            inside = observed[(observed["start_s"] >= period.start) & (observed["start_s"] < period.end)]
            if not inside.empty:
                medians[period.name] = float((inside["end_s"] - inside["start_s"]).median())
    for period in spec.periods:
        given = line.run_times_min.get(period.name)
        if given is not None:
            value = given if isinstance(given, int | float) else given[direction]
            result[period.name] = float(value) * 60.0
        elif period.name in medians:
            result[period.name] = medians[period.name]
        elif medians:
            nearest = min(medians, key=lambda n: abs(next(p.start for p in spec.periods if p.name == n) - period.start))
            result[period.name] = medians[nearest]
    return result


def _shape(feed: Feed | None, observed: pd.DataFrame, pattern: tuple[str, ...], coords: Mapping[str, tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    if feed is not None and not observed.empty and "shape_id" in observed.columns:
        shape_ids = observed["shape_id"][observed["shape_id"] != ""]
        if not shape_ids.empty:
            shapes = feed.table("shapes.txt")
            if not shapes.empty:
                chosen = shapes[shapes["shape_id"] == shape_ids.value_counts().index[0]]
                order = pd.to_numeric(chosen["shape_pt_sequence"], errors="coerce").argsort()
                points = chosen.iloc[order]
                return tuple(zip(points["shape_pt_lon"].astype(float), points["shape_pt_lat"].astype(float), strict=True))
    return tuple(coords[s] for s in pattern)


def schedule(
    spec: ScheduleSpec,
    *,
    feed: Feed | None = None,
    run_times_s: Mapping[tuple[str, int, str], float] | None = None,
    travel: TravelFactory | None = None,
    duties: bool = True,
    time_limit_s: float = 20.0,
) -> Schedule:
    """Schedule the spec's lines.

    Parameters
    ----------
    spec
        The spec (see :mod:`gtfs.spec`).
    feed
        An existing feed for stops, patterns, shapes and run times (by line name).
    run_times_s
        Run times (s) by (line name, direction, period) from elsewhere (the simulation's
        measured travel times, live conditions); they replace the feed's, not the spec's.
    travel
        Deadhead times for the places (terminals, then depots); default straight-line
        distance at the spec's deadhead speed.
    duties
        Cut driver duties too.

    Raises
    ------
    InfeasibleError
        Naming the line and period (or the rule) that cannot be met.
    """
    lines, stops = lines_from(spec, feed)
    periods = [Period(p.name, p.start, p.end) for p in sorted(spec.periods, key=lambda p: p.start)]
    lay = spec.layover.min_min * 60.0
    for line in lines:
        for (name, direction, period), seconds in (run_times_s or {}).items():
            if name == line.spec.name and direction in line.run_s and period not in line.spec.run_times_min:
                line.run_s[direction][period] = float(seconds)
    demands = []
    for line in lines:
        running = line.spec.periods or tuple(p.name for p in periods)
        cycle: dict[str, float] = {}
        load: dict[str, float] = {}
        for period in periods:
            if period.name not in running:
                continue
            missing = [d for d in line.patterns if period.name not in line.run_s[d]]
            if missing:
                raise InfeasibleError(
                    f"line {line.spec.name}, period {period.name}: no run time for direction {missing[0]} "
                    "(give run_times_min in the spec, or a feed with trips of the line)"
                )
            cycle[period.name] = sum(line.run_s[d][period.name] + lay for d in line.patterns)
            hours = range(int(period.start_s // 3600), int(np.ceil(period.end_s / 3600)))
            load[period.name] = max((line.demand[d].get(h, 0.0) for d in (0, 1) for h in hours), default=0.0)
        demands.append(LineDemand(line.spec.name, load, cycle))
    s = spec.standards
    standards = ServiceStandards(s.policy_headway_min, s.min_headway_min, s.capacity, s.load_factor, s.clockface, s.clockface_only)
    headways = choose_headways(demands, periods, standards, fleet_limit=spec.blocking.fleet_limit, time_limit_s=time_limit_s / 2)

    station = station_of(_stops_table(stops))
    directions = []
    for line in lines:
        for d, pattern in line.patterns.items():
            hub_offset: dict[str, dict[str, float]] = {}
            for k, stop in enumerate(pattern):
                for hub in {stop, station.get(stop, stop)}:
                    hub_offset.setdefault(hub, {p: line.shares[d][k] * line.run_s[d][p] for p in line.run_s[d]})
            directions.append(
                Direction(
                    f"{line.spec.name}/{d}",
                    line.spec.name,
                    {p: h for (name, p), h in headways.items() if name == line.spec.name},
                    dict(line.run_s[d]),
                    hub_offset,
                    f"{line.spec.name}/{1 - d}" if (1 - d) in line.patterns else None,
                )
            )
    transfers = [Transfer(t.hub, t.arrive, t.depart, t.min_min * 60.0, t.max_min * 60.0) for t in spec.transfers]
    times = departures(directions, periods, layover_min_s=lay, transfers=transfers, time_limit_s=time_limit_s / 2)
    a = spec.agency
    if a is not None:
        agency = Agency(a.id, a.name, a.url, a.timezone, a.lang)
    else:
        row = feed.table("agency.txt").iloc[0] if feed is not None and not feed.table("agency.txt").empty else {}
        agency = Agency(row.get("agency_id", "agency") or "agency", row.get("agency_name", "Transit"), row.get("agency_url", ""), row.get("agency_timezone", "UTC"), row.get("agency_lang") or None)
    return _assemble(spec, agency, lines, stops, periods, headways, times, travel, duties, time_limit_s)


def _period_of(periods: Sequence[Period], t: float) -> str:
    for p in periods:
        if p.start_s <= t < p.end_s:
            return p.name
    return periods[-1].name


def _assemble(
    spec: ScheduleSpec,
    agency: Agency,
    lines: list[Line],
    stops: list[Stop],
    periods: list[Period],
    headways: dict[tuple[str, str], float],
    times: dict[str, list[float]],
    travel: TravelFactory | None,
    duties: bool,
    time_limit_s: float,
) -> Schedule:
    names = {s.stop_id: s.name for s in stops}
    routes, shapes, trips = [], [], []
    for line in lines:
        route_id = f"line_{line.spec.name}"
        routes.append(Route(route_id, line.spec.name, line.spec.long_name, line.spec.route_type, line.spec.color))
        for d, pattern in line.patterns.items():
            shape_id = f"{route_id}_{d}"
            shapes.append(Shape(shape_id, line.shapes[d]))
            for start in times[f"{line.spec.name}/{d}"]:
                run = line.run_s[d][_period_of(periods, start)]
                calls = tuple(StopTime(stop, float(round(start + f * run)), float(round(start + f * run))) for stop, f in zip(pattern, line.shares[d], strict=True))
                total = int(round(start))
                trip_id = f"{line.spec.name}_{'out' if d == 0 else 'in'}_{total // 3600:02d}{total % 3600 // 60:02d}{total % 60:02d}"
                trips.append(Trip(trip_id, route_id, spec.service.id, calls, direction_id=d, headsign=names.get(pattern[-1], ""), shape_id=shape_id))
    used = {c.stop_id for t in trips for c in t.stop_times}
    parents = {s.parent_station for s in stops if s.stop_id in used and s.parent_station}
    kept = tuple(s for s in stops if s.stop_id in used or s.stop_id in parents)

    table = _stops_table(kept)
    ends = sorted({t.stop_times[0].stop_id for t in trips} | {t.stop_times[-1].stop_id for t in trips})
    terminals = match_terminals(ends, table, radius_m=spec.terminal_radius_m)
    coords = {s.stop_id: (s.lon, s.lat) for s in stops}
    depot_places = []
    for depot in spec.depots:
        if depot.stop is not None:
            if depot.stop not in coords:
                raise InputError(f"depot {depot.id}: unknown stop {depot.stop}")
            lon, lat = coords[depot.stop]
        else:
            lon, lat = float(depot.lon), float(depot.lat)  # type: ignore[arg-type]
        depot_places.append(Place(depot.id, depot.id, lon, lat))
    places = (*terminals.places, *depot_places)
    travel_times = travel(places) if travel is not None else StraightLine(places, spec.blocking.deadhead_speed_kmh)
    line_of = {f"line_{line.spec.name}": line.spec.name for line in lines}
    block_trips_ = [
        BlockTrip(t.trip_id, line_of[t.route_id], t.start_s, t.end_s, terminals.place_of[t.stop_times[0].stop_id], terminals.place_of[t.stop_times[-1].stop_id])
        for t in trips
    ]
    b = spec.blocking
    rules = BlockingRules(
        layover_min_s=spec.layover.min_min * 60.0,
        layover_max_s=None if spec.layover.max_min is None else spec.layover.max_min * 60.0,
        deadheads=b.deadheads,
        max_deadhead_s=b.max_deadhead_min * 60.0,
        interlining=b.interlining,
        no_interlining=frozenset(line.spec.name for line in lines if not line.spec.interline),
        max_block_s=None if b.max_block_h is None else b.max_block_h * 3600.0,
        pullout_cost_s=None if b.pullout_cost_h is None else b.pullout_cost_h * 3600.0,
    )
    depots = [Depot(d.id, len(terminals.places) + k, d.capacity) for k, d in enumerate(spec.depots)]
    blocking = block_trips(block_trips_, travel_times, rules, depots=depots)
    if b.fleet_limit is not None and blocking.figures.fleet > b.fleet_limit:
        raise InfeasibleError(
            f"the timetable needs {blocking.figures.fleet} vehicles at once (lower bound {blocking.figures.lower_bound}) "
            f"but the fleet limit is {b.fleet_limit}; raise the fleet limit or the policy headway"
        )
    block_of = blocking.block_of()
    trips = [
        Trip(t.trip_id, t.route_id, t.service_id, t.stop_times, direction_id=t.direction_id, headsign=t.headsign, shape_id=t.shape_id, block_id=block_of.get(t.trip_id))
        for t in trips
    ]
    rostering = None
    if duties:
        r = spec.drivers
        driver_rules = DriverRules(
            r.max_spread_h * 3600.0, r.max_driving_h * 3600.0, r.break_min * 60.0, r.min_duty_h * 3600.0, r.max_duty_h * 3600.0, r.sign_on_min * 60.0, r.sign_off_min * 60.0, r.split_duties
        )
        rostering = cut_duties(blocking.blocks, block_trips_, driver_rules, travel=travel_times, time_limit_s=time_limit_s)
    service = spec.service
    timetable = Timetable(
        agency,
        kept,
        tuple(routes),
        tuple(trips),
        (Service(service.id, service.weekdays, service.start, service.end),),
        tuple(shapes),
    )
    return Schedule(timetable, headways, tuple(block_trips_), blocking, rostering, places)
