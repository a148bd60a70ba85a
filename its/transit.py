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
    "Alert",
    "Route",
    "Service",
    "Shape",
    "Stop",
    "StopTime",
    "StopTimeUpdate",
    "Timetable",
    "Trip",
    "TripUpdate",
    "VehiclePosition",
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


# --- Real-time values (GTFS-Realtime as plain data) -------------------------------------------
# Times below are absolute: seconds since the Unix epoch (UTC), as GTFS-Realtime carries them.


@dataclass(frozen=True)
class VehiclePosition:
    """Where a transit vehicle is: WGS84 position, bearing (degrees clockwise from north),
    speed (m/s), at ``timestamp`` (Unix seconds); ``status`` is GTFS-Realtime's
    ``INCOMING_AT``, ``STOPPED_AT`` or ``IN_TRANSIT_TO`` relative to ``stop_id``.
    """

    vehicle_id: str
    lon: float
    lat: float
    timestamp: float
    trip_id: str | None = None
    route_id: str | None = None
    start_date: str | None = None
    bearing: float | None = None
    speed_ms: float | None = None
    stop_id: str | None = None
    stop_sequence: int | None = None
    status: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class StopTimeUpdate:
    """A prediction for one call of a trip: delays in seconds (late positive) and/or absolute
    times (Unix seconds); ``skipped`` when the vehicle will not call there.
    """

    stop_sequence: int | None = None
    stop_id: str | None = None
    arrival_delay_s: float | None = None
    arrival_time: float | None = None
    departure_delay_s: float | None = None
    departure_time: float | None = None
    skipped: bool = False


@dataclass(frozen=True)
class TripUpdate:
    """Predictions for one trip. ``relationship`` is GTFS-Realtime's trip schedule
    relationship: ``SCHEDULED``, ``ADDED`` (not in the static timetable), ``CANCELED``, ...;
    ``delay_s`` is the trip-wide delay when the feed gives one.
    """

    trip_id: str
    timestamp: float
    route_id: str | None = None
    start_date: str | None = None
    start_time: str | None = None
    relationship: str = "SCHEDULED"
    vehicle_id: str | None = None
    delay_s: float | None = None
    stop_time_updates: tuple[StopTimeUpdate, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A service alert: what is affected (routes, stops, trips), when (``(start, end)`` Unix
    seconds, either None for open), why and with what effect, in the feed's first language.
    """

    alert_id: str
    header: str
    description: str = ""
    cause: str = "UNKNOWN_CAUSE"
    effect: str = "UNKNOWN_EFFECT"
    active_periods: tuple[tuple[float | None, float | None], ...] = ()
    route_ids: tuple[str, ...] = ()
    stop_ids: tuple[str, ...] = ()
    trip_ids: tuple[str, ...] = ()
    url: str = ""

    def active(self, at: float) -> bool:
        """Whether the alert is in force at ``at`` (Unix seconds); no period means always."""
        if not self.active_periods:
            return True
        return any((s is None or s <= at) and (e is None or at < e) for s, e in self.active_periods)
