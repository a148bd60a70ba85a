"""Writing GTFS feeds: a :class:`its.transit.Timetable` as GTFS text tables, and any tables
(a :class:`gtfs.feed.Feed` as read, possibly changed) as a zip or a folder.

Reading back what was written gives the same timetable (:func:`gtfs.read.timetable_of`):
coordinates are written with the shortest text that reads back as the same float, and
times in whole seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gtfs._files import write_files
from gtfs.feed import Feed, gtfs_time
from gtfs.schema import FILES
from its.transit import Timetable

__all__ = ["feed_tables", "gtfs_time", "write_feed", "write_tables"]


def _opt(value: object) -> str:
    return "" if value is None else str(value)


def _num(value: float) -> str:
    """A float as the shortest positional text that reads back as the same float."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return np.format_float_positional(float(value), trim="-")


def _table(columns: Sequence[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame([[str(v) for v in row] for row in rows], columns=list(columns), dtype=str)


def feed_tables(timetable: Timetable) -> dict[str, pd.DataFrame]:
    """The timetable's GTFS files as text tables, by file name."""
    t = timetable
    tables = {
        "agency.txt": _table(
            ("agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"),
            [(t.agency.agency_id, t.agency.name, t.agency.url, t.agency.timezone, _opt(t.agency.lang))],
        ),
        "stops.txt": _table(
            ("stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type", "parent_station"),
            [(s.stop_id, _opt(s.code), s.name, _num(s.lat), _num(s.lon), s.location_type, _opt(s.parent_station)) for s in t.stops],
        ),
        "routes.txt": _table(
            ("route_id", "agency_id", "route_short_name", "route_long_name", "route_type", "route_color", "route_text_color"),
            [
                (r.route_id, _opt(r.agency_id), r.short_name, r.long_name, r.route_type, _opt(r.color), _opt(r.text_color))
                for r in t.routes
            ],
        ),
        "trips.txt": _table(
            ("route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "block_id", "shape_id"),
            [(tr.route_id, tr.service_id, tr.trip_id, tr.headsign, _opt(tr.direction_id), _opt(tr.block_id), _opt(tr.shape_id)) for tr in t.trips],
        ),
        "stop_times.txt": _table(
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
            [
                (tr.trip_id, gtfs_time(st.arrival_s), gtfs_time(st.departure_s), st.stop_id, i + 1)
                for tr in t.trips
                for i, st in enumerate(tr.stop_times)
            ],
        ),
        "calendar.txt": _table(
            ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "start_date", "end_date"),
            [(s.service_id, *(int(d) for d in s.weekdays), s.start_date.strftime("%Y%m%d"), s.end_date.strftime("%Y%m%d")) for s in t.services],
        ),
    }
    exceptions = [(s.service_id, d.strftime("%Y%m%d"), 1) for s in t.services for d in s.added]
    exceptions += [(s.service_id, d.strftime("%Y%m%d"), 2) for s in t.services for d in s.removed]
    if exceptions:
        tables["calendar_dates.txt"] = _table(("service_id", "date", "exception_type"), exceptions)
    if t.shapes:
        tables["shapes.txt"] = _table(
            ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
            [(sh.shape_id, _num(lat), _num(lon), i + 1) for sh in t.shapes for i, (lon, lat) in enumerate(sh.points)],
        )
    if t.services:
        start = min(s.start_date for s in t.services).strftime("%Y%m%d")
        end = max(s.end_date for s in t.services).strftime("%Y%m%d")
        tables["feed_info.txt"] = _table(
            ("feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date", "feed_end_date"),
            [(t.agency.name, t.agency.url, t.agency.lang or "en", start, end)],
        )
    return tables


def write_feed(timetable: Timetable, target: Path) -> Path:
    """Write a timetable as a GTFS feed: a zip when ``target`` ends in ``.zip``, else a folder."""
    return write_files(feed_tables(timetable), target, known=frozenset(FILES))


def write_tables(tables: Feed | Mapping[str, pd.DataFrame], target: Path) -> Path:
    """Write a feed's text tables as they are (a zip when ``target`` ends in ``.zip``)."""
    return write_files(tables.tables if isinstance(tables, Feed) else tables, target, known=frozenset(FILES))
