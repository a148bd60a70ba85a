"""Writing a :class:`its.transit.Timetable` as a GTFS feed (a folder or a zip)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from its.transit import Timetable

__all__ = ["feed_tables", "gtfs_time", "write_feed"]


def gtfs_time(seconds: float) -> str:
    """Seconds after midnight as GTFS ``H:MM:SS`` (hours may pass 24)."""
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _opt(value: object) -> str:
    return "" if value is None else str(value)


def feed_tables(timetable: Timetable) -> dict[str, tuple[Sequence[str], Iterable[Sequence[object]]]]:
    """The feed's files as (header, rows), in GTFS column names."""
    t = timetable
    tables: dict[str, tuple[Sequence[str], Iterable[Sequence[object]]]] = {
        "agency.txt": (
            ("agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"),
            [(t.agency.agency_id, t.agency.name, t.agency.url, t.agency.timezone, _opt(t.agency.lang))],
        ),
        "stops.txt": (
            ("stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type", "parent_station"),
            [
                (s.stop_id, _opt(s.code), s.name, f"{s.lat:.6f}", f"{s.lon:.6f}", s.location_type, _opt(s.parent_station))
                for s in t.stops
            ],
        ),
        "routes.txt": (
            ("route_id", "agency_id", "route_short_name", "route_long_name", "route_type", "route_color", "route_text_color"),
            [
                (r.route_id, r.agency_id or t.agency.agency_id, r.short_name, r.long_name, r.route_type, _opt(r.color), _opt(r.text_color))
                for r in t.routes
            ],
        ),
        "trips.txt": (
            ("route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "block_id", "shape_id"),
            [
                (tr.route_id, tr.service_id, tr.trip_id, tr.headsign, _opt(tr.direction_id), _opt(tr.block_id), _opt(tr.shape_id))
                for tr in t.trips
            ],
        ),
        "stop_times.txt": (
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
            [
                (tr.trip_id, gtfs_time(st.arrival_s), gtfs_time(st.departure_s), st.stop_id, i + 1)
                for tr in t.trips
                for i, st in enumerate(tr.stop_times)
            ],
        ),
        "calendar.txt": (
            ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "start_date", "end_date"),
            [
                (s.service_id, *(int(d) for d in s.weekdays), s.start_date.strftime("%Y%m%d"), s.end_date.strftime("%Y%m%d"))
                for s in t.services
            ],
        ),
    }
    if t.shapes:
        tables["shapes.txt"] = (
            ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
            [(sh.shape_id, f"{lat:.6f}", f"{lon:.6f}", i + 1) for sh in t.shapes for i, (lon, lat) in enumerate(sh.points)],
        )
    if t.services:
        start = min(s.start_date for s in t.services).strftime("%Y%m%d")
        end = max(s.end_date for s in t.services).strftime("%Y%m%d")
        tables["feed_info.txt"] = (
            ("feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date", "feed_end_date"),
            [(t.agency.name, t.agency.url, t.agency.lang or "en", start, end)],
        )
    return tables


def write_feed(timetable: Timetable, target: Path) -> Path:
    """Write the feed into a folder, or into a zip when ``target`` ends in ``.zip``."""
    tables = feed_tables(timetable)
    if target.suffix == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, (header, rows) in tables.items():
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
                archive.writestr(name, buffer.getvalue())
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        with (target / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return target
