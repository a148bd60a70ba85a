"""Reading GTFS feeds: a zip or folder into a :class:`gtfs.feed.Feed`, and a feed into the
core's :class:`its.transit.Timetable`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from gtfs._files import read_files
from gtfs.feed import Feed, parse_dates
from its.errors import GTFSError
from its.transit import Agency, Route, Service, Shape, Stop, StopTime, Timetable, Trip

__all__ = ["read_feed", "read_timetable", "timetable_of"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def read_feed(path: Path | str) -> Feed:
    """Read a GTFS zip or folder (any encoding; see :mod:`gtfs._files`).

    Raises
    ------
    GTFSError
        If the path is missing, not a zip, or holds no GTFS files. A feed with broken
        files still reads; :func:`gtfs.validate.validate` says what is wrong.
    """
    path = Path(path).expanduser()
    return Feed(read_files(path), source=str(path))


def read_timetable(path: Path | str) -> Timetable:
    """Read a GTFS feed as a :class:`Timetable` (frequencies expanded)."""
    return timetable_of(read_feed(path))


def _opt(value: str) -> str | None:
    return value if value != "" else None


def _int(value: str, default: int | None = None) -> int | None:
    try:
        return int(value)
    except ValueError:
        return default


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def timetable_of(feed: Feed) -> Timetable:
    """The feed as value objects: the first agency, stops, routes, trips with their stop
    times (interpolated where the feed leaves them out), services and shapes.

    Raises
    ------
    GTFSError
        If a required file is missing or unreadable (validate the feed to see every problem).
    """
    for name in ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt"):
        if not feed.has(name):
            raise GTFSError(f"{feed.source}: {name} is missing or unreadable; run `its gtfs validate` for details")
    agencies = feed.table("agency.txt")
    if agencies.empty:
        raise GTFSError(f"{feed.source}: agency.txt has no agency")
    first = agencies.iloc[0]
    agency = Agency(
        first.get("agency_id", ""),
        first.get("agency_name", ""),
        first.get("agency_url", ""),
        first.get("agency_timezone", ""),
        _opt(first.get("agency_lang", "")),
    )
    stops = tuple(
        Stop(
            row["stop_id"],
            row.get("stop_name", ""),
            _float(row.get("stop_lon", "")),
            _float(row.get("stop_lat", "")),
            parent_station=_opt(row.get("parent_station", "")),
            location_type=_int(row.get("location_type", ""), 0) or 0,
            code=_opt(row.get("stop_code", "")),
        )
        for row in feed.table("stops.txt").to_dict("records")
    )
    routes = tuple(
        Route(
            row["route_id"],
            row.get("route_short_name", ""),
            row.get("route_long_name", ""),
            _int(row.get("route_type", ""), 3) or 0,
            _opt(row.get("route_color", "")),
            _opt(row.get("route_text_color", "")),
            _opt(row.get("agency_id", "")),
        )
        for row in feed.table("routes.txt").to_dict("records")
    )
    calls: dict[str, list[StopTime]] = {}
    times = feed.stop_times
    for trip_id, stop_id, arrival, departure in zip(
        times["trip_id"], times["stop_id"], times["arrival_s"].to_numpy(), times["departure_s"].to_numpy(), strict=True
    ):
        if np.isnan(arrival) or np.isnan(departure):
            continue
        calls.setdefault(trip_id, []).append(StopTime(stop_id, float(arrival), float(departure)))
    trips = tuple(
        Trip(
            row["trip_id"],
            row["route_id"],
            row["service_id"],
            tuple(calls[row["trip_id"]]),
            direction_id=_int(row.get("direction_id", "")),
            headsign=row.get("trip_headsign", ""),
            shape_id=_opt(row.get("shape_id", "")),
            block_id=_opt(row.get("block_id", "")),
        )
        for row in feed.trips.to_dict("records")
        if row["trip_id"] in calls
    )
    return Timetable(agency, stops, routes, trips, _services(feed), _shapes(feed))


def _services(feed: Feed) -> tuple[Service, ...]:
    services: dict[str, Service] = {}
    calendar = feed.table("calendar.txt")
    if not calendar.empty:
        starts = parse_dates(feed.column("calendar.txt", "start_date"))
        ends = parse_dates(feed.column("calendar.txt", "end_date"))
        for i, row in enumerate(calendar.to_dict("records")):
            if pd.isna(starts.iloc[i]) or pd.isna(ends.iloc[i]):
                continue
            weekdays = tuple(row.get(day, "0") == "1" for day in _WEEKDAYS)
            services[row["service_id"]] = Service(row["service_id"], weekdays, starts.iloc[i].date(), ends.iloc[i].date())  # type: ignore[arg-type]
    exceptions = feed.table("calendar_dates.txt")
    if not exceptions.empty:
        days = parse_dates(feed.column("calendar_dates.txt", "date"))
        added: dict[str, list[date]] = {}
        removed: dict[str, list[date]] = {}
        for service_id, day, kind in zip(exceptions["service_id"], days, feed.column("calendar_dates.txt", "exception_type"), strict=True):
            if pd.isna(day):
                continue
            (added if kind == "1" else removed).setdefault(service_id, []).append(day.date())
        for service_id in sorted(set(added) | set(removed), key=lambda s: (s not in services, s)):
            base = services.get(service_id)
            plus = tuple(added.get(service_id, ()))
            minus = tuple(removed.get(service_id, ()))
            if base is None:
                span = plus + minus
                base = Service(service_id, (False,) * 7, min(span), max(span))  # type: ignore[arg-type]
            services[service_id] = Service(base.service_id, base.weekdays, base.start_date, base.end_date, added=plus, removed=minus)
    return tuple(services.values())


def _shapes(feed: Feed) -> tuple[Shape, ...]:
    table = feed.table("shapes.txt")
    if table.empty or "shape_id" not in table.columns:
        return ()
    frame = pd.DataFrame(
        {
            "shape_id": table["shape_id"],
            "seq": pd.to_numeric(feed.column("shapes.txt", "shape_pt_sequence"), errors="coerce"),
            "lon": pd.to_numeric(feed.column("shapes.txt", "shape_pt_lon"), errors="coerce"),
            "lat": pd.to_numeric(feed.column("shapes.txt", "shape_pt_lat"), errors="coerce"),
        }
    ).dropna()
    frame = frame.sort_values(["shape_id", "seq"], kind="stable")
    order = dict.fromkeys(table["shape_id"])  # shapes in order of first appearance
    points = {
        shape_id: tuple(zip(group["lon"].tolist(), group["lat"].tolist(), strict=True))
        for shape_id, group in frame.groupby("shape_id", sort=False)
    }
    return tuple(Shape(shape_id, points[shape_id]) for shape_id in order if shape_id in points)
