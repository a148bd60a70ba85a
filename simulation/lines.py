"""Bus lines of a scenario: stops placed on lanes, line routes through the network, and a
headway timetable, all from a small TOML file.

The same :class:`its.transit.Timetable` becomes the scenario's GTFS feed and its SUMO buses,
so the simulated buses and the published timetable never disagree.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import sumolib
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from its.errors import ScenarioError
from its.geo import Projection
from its.transit import (
    Agency,
    Route,
    Service,
    Shape,
    Stop,
    StopTime,
    Timetable,
    Trip,
    clockface_departures,
)
from its.units import parse_time
from simulation.pt import BusStop

__all__ = ["LinePlan", "LinesSpec", "plan_lines", "read_lines_spec"]

Time = Annotated[float, BeforeValidator(lambda v: parse_time(v) if isinstance(v, str) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgencySpec(_Model):
    id: str
    name: str
    url: str
    timezone: str
    lang: str | None = None


class ServiceSpec(_Model):
    id: str = "weekday"
    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool] = (True, True, True, True, True, False, False)
    start: date
    end: date


class StationSpec(_Model):
    id: str
    name: str


class StopSpec(_Model):
    id: str
    name: str
    edge: str
    pos_m: float | None = Field(default=None, description="Distance from the edge's start; default 60% of its length.")
    station: str | None = None


class LineSpec(_Model):
    id: str
    name: str
    long_name: str = ""
    color: str | None = None
    outbound: tuple[str, ...] = Field(min_length=2)
    inbound: tuple[str, ...] = Field(default=(), description="Stops back; default none (a loop line).")
    headways: tuple[tuple[Time, float], ...] = Field(
        min_length=1, description="(from time, headway in minutes) pairs; the last lasts until service_end."
    )
    service_end: Time


class LinesSpec(_Model):
    agency: AgencySpec
    service: ServiceSpec
    dwell_s: float = Field(default=20.0, ge=0)
    speed_factor: float = Field(default=0.8, gt=0, le=1.2, description="Bus speed as a share of the speed limit.")
    stations: tuple[StationSpec, ...] = ()
    stops: tuple[StopSpec, ...] = Field(min_length=2)
    lines: tuple[LineSpec, ...] = Field(min_length=1)


def read_lines_spec(path: Path) -> LinesSpec:
    """Read and validate a lines TOML file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return LinesSpec.model_validate(raw)
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        raise ScenarioError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


@dataclass(frozen=True)
class LinePlan:
    """Everything the lines become: the timetable, SUMO bus stops, and each trip's road edges."""

    timetable: Timetable
    bus_stops: tuple[BusStop, ...]
    trip_edges: dict[str, tuple[str, ...]]
    line_names: dict[str, str]


def plan_lines(spec: LinesSpec, net: sumolib.net.Net, *, source: Path) -> LinePlan:
    """Place the stops, route every line direction and build the headway timetable.

    Raises
    ------
    ScenarioError
        If a stop's edge does not exist or carries no bus lane, a line names an unknown stop,
        or two consecutive stops are not connected for buses.
    """
    location = net._location  # sumolib keeps the <location> attributes here
    offset = net.getLocationOffset()
    projection = Projection(location.get("projParameter", "!"), float(offset[0]), float(offset[1]))
    placed: dict[str, tuple[BusStop, sumolib.net.edge.Edge, float]] = {}
    stops: list[Stop] = []
    for station in spec.stations:
        members = [s for s in spec.stops if s.station == station.id]
        if not members:
            raise ScenarioError(f"{source}: station {station.id!r} has no stops")
    for stop in spec.stops:
        if not net.hasEdge(stop.edge):
            raise ScenarioError(f"{source}: stop {stop.id!r}: edge {stop.edge!r} is not in the network")
        edge = net.getEdge(stop.edge)
        lanes = [lane for lane in edge.getLanes() if lane.allows("bus")]
        if not lanes:
            raise ScenarioError(f"{source}: stop {stop.id!r}: edge {stop.edge!r} has no lane buses may use")
        lane = lanes[0]
        length = lane.getLength()
        pos = stop.pos_m if stop.pos_m is not None else 0.6 * length
        pos = min(max(pos, 8.0), max(length - 2.0, 8.0))
        placed[stop.id] = (BusStop(stop.id, stop.name, lane.getID(), max(pos - 15.0, 0.0), pos), edge, pos)
        x, y = sumolib.geomhelper.positionAtShapeOffset(lane.getShape(), pos)
        lon, lat = projection.lonlat(x, y) if projection.geographic else (x, y)
        stops.append(Stop(stop.id, stop.name, float(lon), float(lat), parent_station=stop.station))
    for station in spec.stations:
        members = [s for s in stops if s.parent_station == station.id]
        stops.append(
            Stop(
                station.id,
                station.name,
                sum(s.lon for s in members) / len(members),
                sum(s.lat for s in members) / len(members),
                location_type=1,
            )
        )

    routes: list[Route] = []
    trips: list[Trip] = []
    shapes: list[Shape] = []
    trip_edges: dict[str, tuple[str, ...]] = {}
    line_names: dict[str, str] = {}
    for line in spec.lines:
        route_id = f"line_{line.id}"
        routes.append(Route(route_id, line.name, line.long_name, 3, line.color))
        line_names[route_id] = line.name
        periods = []
        for i, (start, headway_min) in enumerate(line.headways):
            until = line.headways[i + 1][0] if i + 1 < len(line.headways) else line.service_end
            periods.append((start, until, headway_min * 60.0))
        departures = clockface_departures(periods)
        for direction, sequence in enumerate((line.outbound, line.inbound)):
            if not sequence:
                continue
            unknown = [s for s in sequence if s not in placed]
            if unknown:
                raise ScenarioError(f"{source}: line {line.id!r} names unknown stop(s): {', '.join(unknown)}")
            edges, offsets = _route(net, [placed[s] for s in sequence], spec, line=line.id, source=source)
            shape_id = f"{route_id}_{direction}"
            points = [pt for e in edges for pt in net.getEdge(e).getShape()]
            lonlat = [projection.lonlat(x, y) if projection.geographic else (x, y) for x, y in points]
            shapes.append(Shape(shape_id, tuple((float(lo), float(la)) for lo, la in _dedupe(lonlat))))
            for start in departures:
                trip_id = f"{line.id}_{'out' if direction == 0 else 'in'}_{_hhmm(start)}"
                calls = tuple(StopTime(stop_id, start + off, start + off) for stop_id, off in zip(sequence, offsets, strict=True))
                trips.append(
                    Trip(
                        trip_id,
                        route_id,
                        spec.service.id,
                        calls,
                        direction_id=direction,
                        headsign=placed[sequence[-1]][0].name,
                        shape_id=shape_id,
                    )
                )
                trip_edges[trip_id] = edges
    timetable = Timetable(
        agency=Agency(spec.agency.id, spec.agency.name, spec.agency.url, spec.agency.timezone, spec.agency.lang),
        stops=tuple(stops),
        routes=tuple(routes),
        trips=tuple(trips),
        services=(Service(spec.service.id, spec.service.weekdays, spec.service.start, spec.service.end),),
        shapes=tuple(shapes),
    )
    return LinePlan(timetable, tuple(p[0] for p in placed.values()), trip_edges, line_names)


def _route(
    net: sumolib.net.Net,
    calls: list[tuple[BusStop, sumolib.net.edge.Edge, float]],
    spec: LinesSpec,
    *,
    line: str,
    source: Path,
) -> tuple[tuple[str, ...], list[float]]:
    """Road edges through the stops, and each stop's scheduled offset (whole minutes)."""
    edges: list[str] = [calls[0][1].getID()]
    offsets = [0.0]
    elapsed = 0.0
    for (stop_a, edge_a, pos_a), (stop_b, edge_b, pos_b) in zip(calls, calls[1:], strict=False):
        if edge_a is edge_b and pos_b > pos_a:
            path = [edge_a]
            metres_time = (pos_b - pos_a) / (edge_a.getSpeed() * spec.speed_factor)
        else:
            path = _fastest(net, edge_a, edge_b)
            if not path:
                raise ScenarioError(
                    f"{source}: line {line!r}: no road for buses from stop {stop_a.stop_id!r} to {stop_b.stop_id!r}"
                )
            metres_time = (edge_a.getLength() - pos_a) / (edge_a.getSpeed() * spec.speed_factor)
            metres_time += sum(e.getLength() / (e.getSpeed() * spec.speed_factor) for e in path[1:-1])
            metres_time += pos_b / (edge_b.getSpeed() * spec.speed_factor)
            # crossing junctions costs time the free-flow sum does not see
            metres_time += 6.0 * (len(path) - 1)
        elapsed += metres_time + spec.dwell_s
        edges.extend(e.getID() for e in path[1:])
        offsets.append(60.0 * math.ceil(elapsed / 60.0))
    return tuple(edges), offsets


def _fastest(net: sumolib.net.Net, a: sumolib.net.edge.Edge, b: sumolib.net.edge.Edge) -> list[sumolib.net.edge.Edge]:
    """Fastest bus path from edge ``a`` to edge ``b``; from ``a`` back to itself it goes round."""
    if a is not b:
        found, _ = net.getFastestPath(a, b, vClass="bus")
        return list(found or [])
    best: tuple[list[sumolib.net.edge.Edge], float] | None = None
    for successor in a.getOutgoing():
        found, cost = net.getFastestPath(successor, b, vClass="bus")
        if found and (best is None or cost < best[1]):
            best = ([a, *found], cost)
    return best[0] if best else []


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for point in points:
        if not out or (abs(out[-1][0] - point[0]) > 1e-9 or abs(out[-1][1] - point[1]) > 1e-9):
            out.append(point)
    return out


def _hhmm(seconds: float) -> str:
    total = int(round(seconds))
    return f"{total // 3600:02d}{total % 3600 // 60:02d}"
