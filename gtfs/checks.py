"""The validator's rules about meaning: stop times in order, trips that can be used, blocks
whose trips overlap, stations and platforms, agencies, routes, calendars, frequencies,
shapes and feed dates. Codes and severities follow the canonical GTFS validator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from gtfs.feed import Feed, parse_dates, parse_times
from gtfs.notices import ERROR, WARNING, Notice

__all__ = ["semantic_notices"]

log = logging.getLogger(__name__)

#: Speeds (km/h) above which travel between two stops is suspicious, by route type.
MAX_SPEED_KMH = {0: 100, 1: 150, 2: 500, 3: 150, 4: 80, 5: 30, 6: 50, 7: 50, 11: 150, 12: 150}


def semantic_notices(feed: Feed, *, today: date) -> list[Notice]:
    """Every notice about the meaning of the feed's data.

    A rule that cannot run because the data it needs is too broken (a required column
    missing, say, which has its own notice) is skipped, so a broken feed always gets its
    report.
    """
    notices: list[Notice] = []
    rules = (_stop_times, _trips_usage, _stops, _agencies, _routes, _frequencies, _shapes, _feed_info, _blocks)
    for rule in (*rules, lambda f: _calendars(f, today)):
        try:
            notices += list(rule(feed))
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
            log.debug("validator rule %s skipped: %s", getattr(rule, "__name__", "calendar"), error)
    return notices


def _rows(feed: Feed, name: str) -> pd.Series:
    """CSV row numbers (header = 1) of a file's rows."""
    return pd.Series(np.arange(len(feed.table(name))) + 2, index=feed.table(name).index)


def _stop_times(feed: Feed) -> Iterable[Notice]:
    name = "stop_times.txt"
    table = feed.table(name)
    if table.empty or not {"trip_id", "stop_sequence"} <= set(table.columns):
        return
    frame = pd.DataFrame(
        {
            "trip_id": table["trip_id"],
            "seq": pd.to_numeric(table["stop_sequence"], errors="coerce"),
            "arr_text": feed.column(name, "arrival_time"),
            "dep_text": feed.column(name, "departure_time"),
            "arr": parse_times(feed.column(name, "arrival_time")),
            "dep": parse_times(feed.column(name, "departure_time")),
            "dist": pd.to_numeric(feed.column(name, "shape_dist_traveled").replace("", np.nan), errors="coerce"),
            "row": _rows(feed, name),
        }
    ).dropna(subset=["seq"])
    frame = frame.sort_values(["trip_id", "seq"], kind="stable")
    trip = frame["trip_id"].to_numpy()
    first = np.r_[True, trip[1:] != trip[:-1]]
    last = np.r_[trip[1:] != trip[:-1], True]
    has_arr, has_dep = frame["arr_text"] != "", frame["dep_text"] != ""
    for k in np.flatnonzero((first | last) & ~(has_arr & has_dep).to_numpy()):
        row = frame.iloc[k]
        yield Notice(
            "missing_trip_edge",
            ERROR,
            name,
            f"trip {row.trip_id}: its {'first' if first[k] else 'last'} stop needs both arrival_time and departure_time",
            row=int(row.row),
            field="arrival_time" if row.arr_text == "" else "departure_time",
        )
    for k in np.flatnonzero((has_arr ^ has_dep).to_numpy() & ~(first | last)):
        row = frame.iloc[k]
        yield Notice(
            "stop_time_with_only_arrival_or_departure_time", ERROR, name, f"trip {row.trip_id}: a stop time has only one of its two times", row=int(row.row)
        )
    arr = frame["arr"].to_numpy()
    dep = frame["dep"].to_numpy()
    for k in np.flatnonzero(dep < arr):
        row = frame.iloc[k]
        yield Notice(
            "stop_time_with_departure_before_arrival_time",
            ERROR,
            name,
            f"trip {row.trip_id}: departs {row.dep_text} before it arrives {row.arr_text}",
            row=int(row.row),
            field="departure_time",
        )
    # the last departure before each stop (skipping stops without times) must not be later than its arrival
    previous_dep = pd.Series(np.where(np.isnan(dep), np.where(np.isnan(arr), np.nan, arr), dep)).groupby(trip).shift(1)
    previous_dep = previous_dep.groupby(trip).ffill().to_numpy()
    back = np.flatnonzero(~first & (arr < previous_dep))
    for k in back:
        row = frame.iloc[k]
        yield Notice(
            "stop_time_with_arrival_before_previous_departure_time",
            ERROR,
            name,
            f"trip {row.trip_id}: arrives at {row.arr_text} before it left the stop before",
            row=int(row.row),
            field="arrival_time",
        )
    dist = frame["dist"].to_numpy()
    prev = pd.Series(dist).groupby(trip).shift(1).to_numpy()
    for k in np.flatnonzero(~first & (dist <= prev)):
        row = frame.iloc[k]
        yield Notice(
            "decreasing_or_equal_stop_time_distance", ERROR, name, f"trip {row.trip_id}: shape_dist_traveled does not increase", row=int(row.row), field="shape_dist_traveled"
        )
    yield from _fast_travel(feed, frame, first)


def _fast_travel(feed: Feed, frame: pd.DataFrame, first: np.ndarray) -> Iterable[Notice]:
    stops = feed.table("stops.txt")
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    if stops.empty or trips.empty or routes.empty or "stop_id" not in frame.columns and "stop_id" not in feed.table("stop_times.txt").columns:
        return
    table = feed.table("stop_times.txt")
    stop_id = table.loc[frame.index, "stop_id"] if "stop_id" in table.columns else None
    if stop_id is None or not {"stop_lat", "stop_lon"} <= set(stops.columns):
        return
    lat = pd.to_numeric(stops.set_index("stop_id")["stop_lat"], errors="coerce")
    lon = pd.to_numeric(stops.set_index("stop_id")["stop_lon"], errors="coerce")
    lat = lat[~lat.index.duplicated()]
    lon = lon[~lon.index.duplicated()]
    y = np.radians(stop_id.map(lat).to_numpy(dtype=float))
    x = np.radians(stop_id.map(lon).to_numpy(dtype=float))
    route_of = trips.drop_duplicates("trip_id").set_index("trip_id")["route_id"] if "route_id" in trips.columns else pd.Series(dtype=str)
    type_of = pd.to_numeric(routes.drop_duplicates("route_id").set_index("route_id").get("route_type"), errors="coerce")
    route_type = frame["trip_id"].map(route_of).map(type_of).to_numpy(dtype=float)
    limit = np.array([MAX_SPEED_KMH.get(int(t), 150) if not np.isnan(t) else 150 for t in route_type])
    metres = 2 * 6_371_008.8 * np.arcsin(
        np.sqrt(np.clip(np.sin((y[1:] - y[:-1]) / 2) ** 2 + np.cos(y[1:]) * np.cos(y[:-1]) * np.sin((x[1:] - x[:-1]) / 2) ** 2, 0, 1))
    )
    dep = frame["dep"].to_numpy()
    arr = frame["arr"].to_numpy()
    # times are often to the minute: two calls at the same minute are up to a minute apart
    seconds = np.maximum(arr[1:] - dep[:-1], 60.0)
    speed = metres / seconds * 3.6
    fast = ~first[1:] & (speed > limit[1:]) & ~np.isnan(seconds)
    reported: set[str] = set()
    for k in np.flatnonzero(fast):
        row = frame.iloc[k + 1]
        if row.trip_id in reported:
            continue
        reported.add(row.trip_id)
        what = f"at {speed[k]:.0f} km/h"
        yield Notice(
            "fast_travel_between_consecutive_stops",
            WARNING,
            "stop_times.txt",
            f"trip {row.trip_id}: {metres[k] / 1000:.2f} km to the next stop {what}",
            row=int(row.row),
        )


def _trips_usage(feed: Feed) -> Iterable[Notice]:
    trips = feed.table("trips.txt")
    if trips.empty or "trip_id" not in trips.columns:
        return
    counts = feed.table("stop_times.txt").get("trip_id", pd.Series(dtype=str)).value_counts()
    rows = _rows(feed, "trips.txt")
    for k, trip in enumerate(trips["trip_id"]):
        calls = int(counts.get(trip, 0))
        if calls == 0:
            yield Notice("unused_trip", WARNING, "trips.txt", f"trip {trip} has no stop times", row=int(rows.iloc[k]), field="trip_id", value=trip)
        elif calls == 1:
            yield Notice("unusable_trip", WARNING, "trips.txt", f"trip {trip} has a single stop", row=int(rows.iloc[k]), field="trip_id", value=trip)


def _stops(feed: Feed) -> Iterable[Notice]:
    stops = feed.table("stops.txt")
    if stops.empty or "stop_id" not in stops.columns:
        return
    kind = pd.to_numeric(feed.column("stops.txt", "location_type").replace("", "0"), errors="coerce").fillna(0).astype(int)
    parent = feed.column("stops.txt", "parent_station")
    kind_of = dict(zip(stops["stop_id"], kind, strict=True))
    rows = _rows(feed, "stops.txt")
    expected = {0: 1, 2: 1, 3: 1, 4: 0}
    for k in range(len(stops)):
        stop, t, p = stops["stop_id"].iloc[k], int(kind.iloc[k]), parent.iloc[k]
        row = int(rows.iloc[k])
        if t in (0, 1, 2):
            for column in ("stop_name", "stop_lat", "stop_lon"):
                if feed.column("stops.txt", column).iloc[k] == "":
                    yield Notice("missing_required_field", ERROR, "stops.txt", f"{column} is required for location type {t}", row=row, field=column)
        if t == 1 and p:
            yield Notice("station_with_parent_station", ERROR, "stops.txt", f"station {stop} has a parent_station", row=row, field="parent_station")
        if t in (2, 3, 4) and not p:
            yield Notice("location_without_parent_station", ERROR, "stops.txt", f"stop {stop} (location type {t}) needs a parent_station", row=row, field="parent_station")
        if p and p in kind_of and t in expected and kind_of[p] != expected[t]:
            yield Notice(
                "wrong_parent_location_type",
                ERROR,
                "stops.txt",
                f"stop {stop} (location type {t}) has parent {p} of location type {kind_of[p]}, expected {expected[t]}",
                row=row,
                field="parent_station",
            )


def _agencies(feed: Feed) -> Iterable[Notice]:
    agencies = feed.table("agency.txt")
    if len(agencies) < 2:
        return
    zones = set(feed.column("agency.txt", "agency_timezone"))
    if len(zones) > 1:
        yield Notice("inconsistent_agency_timezone", ERROR, "agency.txt", f"agencies have different timezones: {', '.join(sorted(zones))}")
    ids = feed.column("agency.txt", "agency_id")
    for k in np.flatnonzero((ids == "").to_numpy()):
        yield Notice("missing_required_field", ERROR, "agency.txt", "agency_id is required when there are several agencies", row=int(k) + 2, field="agency_id")
    routes = feed.table("routes.txt")
    for k in np.flatnonzero((feed.column("routes.txt", "agency_id") == "").to_numpy()):
        yield Notice("missing_required_field", ERROR, "routes.txt", "agency_id is required when there are several agencies", row=int(k) + 2, field="agency_id")
    del routes


def _routes(feed: Feed) -> Iterable[Notice]:
    routes = feed.table("routes.txt")
    if routes.empty or "route_id" not in routes.columns:
        return
    short = feed.column("routes.txt", "route_short_name")
    long = feed.column("routes.txt", "route_long_name")
    desc = feed.column("routes.txt", "route_desc")
    for k in range(len(routes)):
        row, rid = k + 2, routes["route_id"].iloc[k]
        if short.iloc[k] == "" and long.iloc[k] == "":
            yield Notice("route_both_short_and_long_name_missing", ERROR, "routes.txt", f"route {rid} has neither a short nor a long name", row=row)
        elif short.iloc[k] and short.iloc[k] == long.iloc[k]:
            yield Notice("route_short_and_long_name_equal", WARNING, "routes.txt", f"route {rid}: short and long name are the same", row=row)
        if len(short.iloc[k]) > 12:
            yield Notice("route_short_name_too_long", WARNING, "routes.txt", f"route {rid}: short name longer than 12 characters", row=row, field="route_short_name")
        if desc.iloc[k] and desc.iloc[k] in (short.iloc[k], long.iloc[k]):
            yield Notice("same_name_and_description_for_route", WARNING, "routes.txt", f"route {rid}: the description repeats its name", row=row, field="route_desc")


def _calendars(feed: Feed, today: date) -> Iterable[Notice]:
    calendar = feed.table("calendar.txt")
    last_days: list[date] = []
    if not calendar.empty and {"start_date", "end_date"} <= set(calendar.columns):
        start = parse_dates(calendar["start_date"])
        end = parse_dates(calendar["end_date"])
        for k in np.flatnonzero((start > end).to_numpy()):
            yield Notice(
                "start_and_end_range_out_of_order", ERROR, "calendar.txt", "start_date is after end_date", row=int(k) + 2, field="end_date"
            )
        last_days += [d.date() for d in end.dropna()]
    dates = feed.table("calendar_dates.txt")
    if not dates.empty and "date" in dates.columns:
        added = dates[feed.column("calendar_dates.txt", "exception_type") == "1"]
        last_days += [d.date() for d in parse_dates(added["date"]).dropna()]
    if last_days and max(last_days) < today:
        yield Notice("expired_calendar", WARNING, "calendar.txt", f"no service runs after {max(last_days):%Y-%m-%d}: the feed has expired")


def _frequencies(feed: Feed) -> Iterable[Notice]:
    table = feed.table("frequencies.txt")
    if table.empty or not {"trip_id", "start_time", "end_time"} <= set(table.columns):
        return
    start = parse_times(table["start_time"])
    end = parse_times(table["end_time"])
    for k in np.flatnonzero(start > end):
        yield Notice("start_and_end_range_out_of_order", ERROR, "frequencies.txt", "start_time is after end_time", row=int(k) + 2, field="end_time")
    for k in np.flatnonzero(start == end):
        yield Notice("start_and_end_range_equal", ERROR, "frequencies.txt", "start_time equals end_time", row=int(k) + 2, field="end_time")
    frame = pd.DataFrame({"trip": table["trip_id"], "start": start, "end": end, "row": np.arange(len(table)) + 2}).dropna()
    frame = frame.sort_values(["trip", "start"])
    previous_end = frame.groupby("trip")["end"].shift(1)
    for k in np.flatnonzero((frame["start"] < previous_end).to_numpy()):
        row = frame.iloc[k]
        yield Notice("overlapping_frequency", ERROR, "frequencies.txt", f"trip {row.trip}: frequency periods overlap", row=int(row.row))


def _shapes(feed: Feed) -> Iterable[Notice]:
    shapes = feed.table("shapes.txt")
    if shapes.empty or "shape_id" not in shapes.columns:
        return
    used = set(feed.column("trips.txt", "shape_id"))
    for shape in sorted(set(shapes["shape_id"]) - used):
        yield Notice("unused_shape", WARNING, "shapes.txt", f"shape {shape} is used by no trip", field="shape_id", value=shape)
    frame = pd.DataFrame(
        {
            "shape_id": shapes["shape_id"],
            "seq": pd.to_numeric(feed.column("shapes.txt", "shape_pt_sequence"), errors="coerce"),
            "dist": pd.to_numeric(feed.column("shapes.txt", "shape_dist_traveled").replace("", np.nan), errors="coerce"),
            "row": np.arange(len(shapes)) + 2,
        }
    ).dropna(subset=["seq"])
    frame = frame.sort_values(["shape_id", "seq"])
    previous = frame.groupby("shape_id")["dist"].shift(1)
    for k in np.flatnonzero((frame["dist"] <= previous).to_numpy()):
        row = frame.iloc[k]
        yield Notice(
            "decreasing_or_equal_shape_distance", ERROR, "shapes.txt", f"shape {row.shape_id}: shape_dist_traveled does not increase", row=int(row.row), field="shape_dist_traveled"
        )


def _feed_info(feed: Feed) -> Iterable[Notice]:
    info = feed.table("feed_info.txt")
    if info.empty:
        return
    start = feed.column("feed_info.txt", "feed_start_date")
    end = feed.column("feed_info.txt", "feed_end_date")
    for k in range(len(info)):
        if (start.iloc[k] == "") != (end.iloc[k] == ""):
            yield Notice("missing_feed_info_date", WARNING, "feed_info.txt", "give both feed_start_date and feed_end_date, or neither", row=k + 2)
        a, b = parse_dates(start.iloc[[k]]).iloc[0], parse_dates(end.iloc[[k]]).iloc[0]
        if pd.notna(a) and pd.notna(b) and a > b:
            yield Notice("start_and_end_range_out_of_order", ERROR, "feed_info.txt", "feed_start_date is after feed_end_date", row=k + 2, field="feed_end_date")


def _service_days(feed: Feed) -> dict[str, set[date]]:
    """The dates each service runs on."""
    days: dict[str, set[date]] = {}
    calendar = feed.table("calendar.txt")
    if not calendar.empty and {"service_id", "start_date", "end_date"} <= set(calendar.columns):
        start = parse_dates(calendar["start_date"])
        end = parse_dates(calendar["end_date"])
        weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        for k, service in enumerate(calendar["service_id"]):
            if pd.isna(start.iloc[k]) or pd.isna(end.iloc[k]) or (end.iloc[k] - start.iloc[k]).days > 3 * 366:
                continue
            on = [feed.column("calendar.txt", d).iloc[k] == "1" for d in weekdays]
            first, span = start.iloc[k].date(), (end.iloc[k] - start.iloc[k]).days
            days.setdefault(service, set()).update(first + timedelta(i) for i in range(span + 1) if on[(first + timedelta(i)).weekday()])
    dates = feed.table("calendar_dates.txt")
    if not dates.empty and {"service_id", "date"} <= set(dates.columns):
        for service, day, kind in zip(dates["service_id"], parse_dates(dates["date"]), feed.column("calendar_dates.txt", "exception_type"), strict=True):
            if pd.isna(day):
                continue
            if kind == "1":
                days.setdefault(service, set()).add(day.date())
            elif kind == "2":
                days.setdefault(service, set()).discard(day.date())
    return days


def _blocks(feed: Feed) -> Iterable[Notice]:
    """Trips of one block that run on a common day must not overlap in time."""
    trips = feed.table("trips.txt")
    if trips.empty or "block_id" not in trips.columns or not (trips["block_id"] != "").any():
        return
    times = feed.stop_times
    span = times.groupby("trip_id").agg(start=("departure_s", "min"), end=("arrival_s", "max"))
    frame = pd.DataFrame({"trip_id": trips["trip_id"], "block_id": trips["block_id"], "service_id": feed.column("trips.txt", "service_id")})
    blocked = frame[frame["block_id"] != ""].merge(span, left_on="trip_id", right_index=True)
    rows = dict(zip(trips["trip_id"], np.arange(len(trips)) + 2, strict=False))
    days = _service_days(feed)
    for block, group in blocked.sort_values(["block_id", "start"]).groupby("block_id", sort=False):
        items = list(group.itertuples())
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.start >= a.end:
                    break
                if a.service_id == b.service_id or days.get(a.service_id, set()) & days.get(b.service_id, set()):
                    yield Notice(
                        "block_trips_with_overlapping_stop_times",
                        ERROR,
                        "trips.txt",
                        f"block {block}: trips {a.trip_id} and {b.trip_id} run at the same time",
                        row=int(rows.get(b.trip_id, 0)) or None,
                        field="block_id",
                        value=str(block),
                    )
