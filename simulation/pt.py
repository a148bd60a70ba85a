"""Public transport in SUMO: bus stops and timetabled bus vehicles, and line frequency changes.

Bus vehicles carry ``line`` and stop at ``busStop``s with ``until`` set to the timetable's
departure, so a bus that runs early waits and one that runs late leaves at once: the buses
follow the timetable the way real ones do.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import sumolib

from its.errors import ScenarioError, VariantError
from its.transit import Trip
from its.xmlfile import open_xml

__all__ = ["BusStop", "read_bus_stops", "rescale_line", "route_patterns", "stop_positions", "write_bus_stops", "write_bus_vehicles"]


@dataclass(frozen=True)
class BusStop:
    """A SUMO ``busStop``: where on a lane a GTFS stop is served (positions in metres)."""

    stop_id: str
    name: str
    lane: str
    start_pos: float
    end_pos: float


def write_bus_stops(stops: Sequence[BusStop], path: Path) -> None:
    """Write ``stops`` as a SUMO additional file."""
    lines = ["<additional>"]
    lines += [
        f"    <busStop id={quoteattr(s.stop_id)} name={quoteattr(s.name)} lane={quoteattr(s.lane)} "
        f'startPos="{s.start_pos:.2f}" endPos="{s.end_pos:.2f}" friendlyPos="true"/>'
        for s in stops
    ]
    lines.append("</additional>\n")
    path.write_text("\n".join(lines), encoding="utf-8")


def read_bus_stops(path: Path) -> tuple[BusStop, ...]:
    """The ``busStop`` elements of a SUMO additional file.

    Raises
    ------
    ScenarioError
        If the file is missing or not well-formed XML.
    """
    try:
        with open_xml(path) as stream:
            root = ET.parse(stream).getroot()
    except (OSError, ET.ParseError) as error:
        raise ScenarioError(f"{path}: cannot read bus stops: {error}") from None
    return tuple(
        BusStop(
            e.get("id", ""),
            e.get("name", ""),
            e.get("lane", ""),
            float(e.get("startPos", "0")),
            float(e.get("endPos", "0")),
        )
        for e in root.iter("busStop")
    )


def stop_positions(net: sumolib.net.Net, stops: Sequence[BusStop]) -> dict[str, tuple[float, float]]:
    """Each bus stop's (lon, lat), at the end of its stopping place (network xy when the
    network has no geo-reference)."""
    out = {}
    for stop in stops:
        lane = net.getLane(stop.lane)
        x, y = sumolib.geomhelper.positionAtShapeOffset(lane.getShape(), stop.end_pos)
        try:
            out[stop.stop_id] = net.convertXY2LonLat(x, y)
        except (AttributeError, TypeError, ValueError):
            out[stop.stop_id] = (x, y)
    return out


def route_patterns(
    net: sumolib.net.Net,
    stops: Mapping[str, BusStop],
    patterns: Sequence[tuple[str, ...]],
    *,
    vclass: str = "bus",
) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Road edges through each pattern's bus stops (fastest path for ``vclass`` between
    consecutive stops).

    Raises
    ------
    ScenarioError
        If a stop is unknown or no road leads from one stop to the next.
    """
    routes = {}
    for pattern in patterns:
        edges: list[str] = []
        for a, b in zip(pattern, pattern[1:], strict=False):
            if a not in stops or b not in stops:
                raise ScenarioError(f"no bus stop {(a if a not in stops else b)!r} in the scenario")
            ea = net.getLane(stops[a].lane).getEdge()
            eb = net.getLane(stops[b].lane).getEdge()
            if not edges:
                edges.append(ea.getID())
            if ea is eb and stops[b].end_pos > stops[a].end_pos:
                continue
            path, _ = net.getFastestPath(ea, eb, vClass=vclass)
            if not path:
                raise ScenarioError(f"no road for buses from stop {a!r} to stop {b!r}")
            edges.extend(e.getID() for e in path[1:])
        routes[pattern] = tuple(edges)
    return routes


def write_bus_vehicles(
    trips: Sequence[Trip],
    routes: Mapping[str, tuple[str, ...]],
    line_of: Mapping[str, str],
    path: Path,
    *,
    vtype: str = "bus",
    dwell_s: float = 20.0,
) -> None:
    """Write one SUMO bus per trip, departing at its first stop's time.

    ``routes`` maps a trip id to its road edges and ``line_of`` a route id to the line name
    SUMO shows. Each call stops at least ``dwell_s`` and not before the timetable's departure.
    """
    lines = ["<routes>"]
    for trip in sorted(trips, key=lambda t: (t.start_s, t.trip_id)):
        edges = routes[trip.trip_id]
        depart = trip.start_s - dwell_s
        lines.append(
            f"    <vehicle id={quoteattr('bus_' + trip.trip_id)} type={quoteattr(vtype)} "
            f'depart="{max(depart, 0):.0f}" departPos="stop" line={quoteattr(line_of[trip.route_id])}>'
        )
        lines.append(f"        <route edges={quoteattr(' '.join(edges))}/>")
        for call in trip.stop_times:
            lines.append(
                f'        <stop busStop={quoteattr(call.stop_id)} duration="{dwell_s:.0f}" '
                f'until="{call.departure_s:.0f}"/>'
            )
        lines.append("    </vehicle>")
    lines.append("</routes>\n")
    path.write_text("\n".join(lines), encoding="utf-8")


_TIMED = ("until", "arrival", "started", "ended")


def rescale_line(
    source: Path,
    target: Path,
    *,
    line: str,
    factor: float,
    begin: float | None = None,
    end: float | None = None,
) -> int:
    """Run ``line`` ``factor`` times as often in ``[begin, end)``; returns the new bus count.

    Departures of each direction (same route) inside the window are resampled evenly over the
    span they cover; each new bus copies the nearest original one, with its depart and stop
    times shifted. Other vehicles are copied unchanged.

    Raises
    ------
    VariantError
        If the file has no bus of that line.
    """
    try:
        tree = ET.parse(source)
    except ET.ParseError as error:
        raise ScenarioError(f"{source}: malformed XML: {error}") from None
    root = tree.getroot()
    groups: dict[str, list[ET.Element]] = defaultdict(list)
    for vehicle in root.findall("vehicle"):
        if vehicle.get("line") != line:
            continue
        depart = float(vehicle.get("depart", "0"))
        if (begin is not None and depart < begin) or (end is not None and depart >= end):
            continue
        route = vehicle.find("route")
        key = route.get("edges", "") if route is not None else vehicle.get("route", "")
        groups[key].append(vehicle)
    if not groups:
        lines = sorted({v.get("line", "") for v in root.findall("vehicle")} - {""})
        raise VariantError(
            f"bus-frequency: no bus of line {line!r} in {source.name} within the window; "
            f"lines there: {', '.join(lines) or 'none'}"
        )
    created = 0
    for vehicles in groups.values():
        vehicles.sort(key=lambda v: float(v.get("depart", "0")))
        departs = [float(v.get("depart", "0")) for v in vehicles]
        if len(vehicles) < 2:
            created += len(vehicles)  # one bus has no headway to change
            continue
        headway = (departs[-1] - departs[0]) / (len(vehicles) - 1)
        count = max(1, round(len(vehicles) * factor))
        for vehicle in vehicles:
            root.remove(vehicle)
        for i in range(count):
            t = departs[0] + i * headway / factor
            nearest = min(range(len(vehicles)), key=lambda j: abs(departs[j] - t))
            clone = _shifted(vehicles[nearest], t - departs[nearest])
            clone.set("id", f"{vehicles[nearest].get('id')}.f{i}")
            root.append(clone)
            created += 1
    _sort_by_depart(root)
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return created


def _shifted(vehicle: ET.Element, delta: float) -> ET.Element:
    clone = copy.deepcopy(vehicle)
    clone.set("depart", f"{float(vehicle.get('depart', '0')) + delta:.0f}")
    for stop in clone.iter("stop"):
        for attribute in _TIMED:
            if attribute in stop.attrib:
                stop.set(attribute, f"{float(stop.get(attribute, '0')) + delta:.0f}")
    return clone


def _sort_by_depart(root: ET.Element) -> None:
    # SUMO reads route files in order of departure; keep definitions first, as they were.
    others = [e for e in root if e.tag not in ("vehicle", "flow", "trip")]
    timed = [e for e in root if e.tag in ("vehicle", "flow", "trip")]
    timed.sort(key=lambda e: float(e.get("depart", e.get("begin", "0"))))
    root[:] = others + timed
