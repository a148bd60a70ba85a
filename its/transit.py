"""Transit value types shared by the scheduler, the simulation and routing, as plain data.

Times are seconds after midnight of the service day and may pass 86,400 (GTFS 25:10:00).
The GTFS package reads and writes these; the simulation turns them into SUMO bus vehicles;
routing searches journeys over them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "Agency",
    "Route",
    "Service",
    "Shape",
    "Stop",
    "StopTime",
    "Timetable",
    "Trip",
    "clockface_departures",
]


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str
    url: str
    timezone: str
    lang: str | None = None


@dataclass(frozen=True)
class Stop:
    """A stop or platform (``location_type`` 0) or a station (1) grouping platforms."""

    stop_id: str
    name: str
    lon: float
    lat: float
    parent_station: str | None = None
    location_type: int = 0
    code: str | None = None


@dataclass(frozen=True)
class Route:
    route_id: str
    short_name: str
    long_name: str = ""
    route_type: int = 3
    color: str | None = None
    text_color: str | None = None
    agency_id: str | None = None


@dataclass(frozen=True)
class StopTime:
    """A call at a stop: arrival and departure in seconds after midnight of the service day."""

    stop_id: str
    arrival_s: float
    departure_s: float


@dataclass(frozen=True)
class Trip:
    trip_id: str
    route_id: str
    service_id: str
    stop_times: tuple[StopTime, ...]
    direction_id: int | None = None
    headsign: str = ""
    shape_id: str | None = None
    block_id: str | None = None

    @property
    def start_s(self) -> float:
        return self.stop_times[0].departure_s

    @property
    def end_s(self) -> float:
        return self.stop_times[-1].arrival_s


@dataclass(frozen=True)
class Service:
    """A calendar: weekdays (Monday first) between two dates, inclusive, with exceptions:
    ``added`` dates it also runs on and ``removed`` dates it does not (GTFS calendar_dates)."""

    service_id: str
    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool]
    start_date: date
    end_date: date
    added: tuple[date, ...] = ()
    removed: tuple[date, ...] = ()

    def runs_on(self, day: date) -> bool:
        """Whether the service runs on ``day``."""
        if day in self.removed:
            return False
        if day in self.added:
            return True
        return self.start_date <= day <= self.end_date and self.weekdays[day.weekday()]


@dataclass(frozen=True)
class Shape:
    """A trip's path as (lon, lat) points in travel order."""

    shape_id: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Timetable:
    """A whole static timetable: what a GTFS feed holds, as value objects."""

    agency: Agency
    stops: tuple[Stop, ...]
    routes: tuple[Route, ...]
    trips: tuple[Trip, ...]
    services: tuple[Service, ...]
    shapes: tuple[Shape, ...] = field(default_factory=tuple)


def clockface_departures(periods: list[tuple[float, float, float]]) -> list[float]:
    """Departure times from ``(start_s, end_s, headway_s)`` periods.

    Departures fall on multiples of each period's headway counted from that period's start
    (clock-face times when the start is on the hour); a headway change carries on from the
    last departure so that no gap is shorter than the shorter headway of the two periods.
    """
    departures: list[float] = []
    for start, end, headway in sorted(periods):
        if headway <= 0:
            raise ValueError(f"headway must be positive, got {headway}")
        t = start
        if departures:
            last = departures[-1]
            # Continue from the last departure without a gap shorter than this headway.
            t = max(start, last + headway)
            t = start + math.ceil((t - start) / headway - 1e-9) * headway
        while t < end - 1e-9:
            departures.append(float(t))
            t += headway
    return departures
