"""A GTFS feed as read (:class:`Feed`: every file a text table) and the parsed views the rest
of the package works on: stop times in seconds, frequencies expanded to trips, services
active on a date, and one row per trip with its ends.

Times are seconds after midnight of the service day and pass 86,400 for trips after
midnight (GTFS ``25:10:00``). Parsed views never fail on bad rows: a time that cannot be
parsed is NaN, and the validator says where it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

import numpy as np
import pandas as pd

from gtfs._files import RawFile

__all__ = [
    "Feed",
    "active_services",
    "expand_frequencies",
    "gtfs_time",
    "materialized",
    "parse_day",
    "parse_dates",
    "parse_times",
    "trip_ends",
]

_TIME = r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def gtfs_time(seconds: float) -> str:
    """Seconds after midnight as GTFS ``HH:MM:SS`` (hours may pass 24)."""
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_times(values: pd.Series) -> np.ndarray:
    """GTFS ``H:MM:SS`` texts as seconds (float; NaN where empty or malformed)."""
    parts = values.astype(str).str.extract(_TIME)
    numbers = parts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if numbers.size == 0:
        return np.zeros(0)
    return numbers[:, 0] * 3600.0 + numbers[:, 1] * 60.0 + numbers[:, 2]


def parse_dates(values: pd.Series) -> pd.Series:
    """GTFS ``YYYYMMDD`` texts as datetimes (NaT where empty or malformed)."""
    return pd.to_datetime(values.astype(str).str.strip(), format="%Y%m%d", errors="coerce")


def _number(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values.astype(str).str.strip().replace("", np.nan), errors="coerce").to_numpy(dtype=float)


@dataclass(frozen=True)
class Feed:
    """A GTFS feed: every file as a text table, as the agency wrote it.

    ``files`` maps file names (``stops.txt``) to what was read, with the encoding used;
    ``source`` says where the feed came from. The parsed views (:attr:`stop_times`,
    :attr:`trips`) are computed once, on first use, with frequencies expanded.
    """

    files: Mapping[str, RawFile]
    source: str = ""
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], *, source: str = "") -> Feed:
        """A feed from text tables (every value a string, ``""`` for empty)."""
        return cls({name: RawFile(name, t, "utf-8", tuple(t.columns)) for name, t in tables.items()}, source)

    def has(self, name: str) -> bool:
        """Whether the feed has the file and it could be parsed."""
        raw = self.files.get(name)
        return raw is not None and raw.table is not None

    def table(self, name: str) -> pd.DataFrame:
        """The text table of a file; an empty table when the file is absent or unreadable.

        Values are stripped of surrounding blanks. Treat the result as read-only.
        """
        key = f"table:{name}"
        if key not in self._cache:
            raw = self.files.get(name)
            if raw is None or raw.table is None:
                self._cache[key] = pd.DataFrame()
            else:
                table = raw.table
                stripped = table.apply(lambda col: col.str.strip()) if len(table.columns) else table
                self._cache[key] = stripped
        return self._cache[key]  # type: ignore[return-value]

    def column(self, name: str, column: str) -> pd.Series:
        """One column of a file as text (all ``""`` when the column is absent)."""
        table = self.table(name)
        if column in table.columns:
            return table[column]
        return pd.Series([""] * len(table), index=table.index, dtype=str)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every parsed file's table as read (not stripped), for writing the feed back."""
        return {name: raw.table for name, raw in self.files.items() if raw.table is not None}

    @cached_property
    def stop_times(self) -> pd.DataFrame:
        """Stop times sorted by trip and sequence, frequencies expanded.

        Columns: ``trip_id``, ``stop_sequence`` (int), ``stop_id``, ``arrival_s``,
        ``departure_s`` (seconds; a call missing one has the other; intermediate calls
        without times are interpolated by distance travelled, else evenly), ``timepoint``
        (whether the times are the agency's own), and ``shape_dist_traveled`` (NaN if absent).
        """
        table = self.table("stop_times.txt")
        frame = pd.DataFrame(
            {
                "trip_id": self.column("stop_times.txt", "trip_id"),
                "stop_sequence": _number(self.column("stop_times.txt", "stop_sequence")),
                "stop_id": self.column("stop_times.txt", "stop_id"),
                "arrival_s": parse_times(self.column("stop_times.txt", "arrival_time")) if len(table) else [],
                "departure_s": parse_times(self.column("stop_times.txt", "departure_time")) if len(table) else [],
                "shape_dist_traveled": _number(self.column("stop_times.txt", "shape_dist_traveled")),
            }
        )
        frame = frame[frame["stop_sequence"].notna()].copy()
        frame["stop_sequence"] = frame["stop_sequence"].astype(np.int64)
        frame = frame.sort_values(["trip_id", "stop_sequence"], kind="stable").reset_index(drop=True)
        frame["arrival_s"] = frame["arrival_s"].fillna(frame["departure_s"])
        frame["departure_s"] = frame["departure_s"].fillna(frame["arrival_s"])
        frame["timepoint"] = frame["arrival_s"].notna()
        frame = _interpolate(frame)
        trips, frame = expand_frequencies(self._raw_trips(), frame, self.table("frequencies.txt"))
        self._cache["trips"] = trips
        return frame

    @cached_property
    def trips(self) -> pd.DataFrame:
        """trips.txt with frequencies expanded: one row per trip that runs.

        Every GTFS column as text, plus ``template_id``: the trips.txt trip a
        frequency-based trip copies (its own id otherwise).
        """
        self.stop_times  # noqa: B018 - expanding the frequencies fills the cache
        return self._cache["trips"]  # type: ignore[return-value]

    def _raw_trips(self) -> pd.DataFrame:
        trips = self.table("trips.txt").copy()
        for column in ("trip_id", "route_id", "service_id", "direction_id", "block_id", "shape_id", "trip_headsign"):
            if column not in trips.columns:
                trips[column] = ""
        trips["template_id"] = trips["trip_id"]
        return trips


def _interpolate(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill the times of calls without them, by distance travelled where known, else by
    position in the trip, between the nearest calls with times (whole seconds)."""
    missing = frame["arrival_s"].isna()
    if not missing.any():
        return frame
    frame = frame.copy()
    position = frame.groupby("trip_id", sort=False).cumcount().astype(float)
    distance = frame["shape_dist_traveled"]
    has_distance = distance.notna().groupby(frame["trip_id"]).transform("all")
    x = np.where(has_distance, distance, position)
    for column in ("arrival_s", "departure_s"):
        filled = frame[column].copy()
        for _, rows in frame[frame["trip_id"].isin(frame.loc[missing, "trip_id"])].groupby("trip_id", sort=False).groups.items():
            index = np.asarray(rows)
            known = ~np.isnan(frame.loc[index, column].to_numpy(dtype=float))
            if known.sum() >= 2:
                filled.loc[index[~known]] = np.round(np.interp(x[index[~known]], x[index[known]], frame.loc[index[known], column].to_numpy(dtype=float)))
        frame[column] = filled
    return frame


def expand_frequencies(trips: pd.DataFrame, stop_times: pd.DataFrame, frequencies: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace each trip named in ``frequencies`` by one trip per departure.

    A frequency row ``(start_time, end_time, headway_secs)`` runs the template trip at
    ``start, start + headway, ...`` while before ``end_time``; each copy keeps the template's
    stop-to-stop times and gets the id ``<trip_id>@<HHMMSS>`` (GTFS-Realtime identifies such
    trips by trip id and start time). Rows whose times cannot be parsed are skipped.
    """
    if frequencies.empty or "trip_id" not in frequencies.columns or stop_times.empty:
        return trips, stop_times
    blank = pd.Series("", index=frequencies.index)
    periods = pd.DataFrame(
        {
            "template_id": frequencies["trip_id"].str.strip(),
            "start": parse_times(frequencies.get("start_time", blank)),
            "end": parse_times(frequencies.get("end_time", blank)),
            "headway": pd.to_numeric(frequencies.get("headway_secs", blank), errors="coerce"),
        }
    )
    periods = periods[
        periods["template_id"].isin(trips["trip_id"])
        & periods["template_id"].isin(stop_times["trip_id"])
        & (periods["headway"] > 0)
        & periods["start"].notna()
        & periods["end"].notna()
    ]
    if periods.empty:
        return trips, stop_times
    counts = np.maximum(np.ceil((periods["end"] - periods["start"]) / periods["headway"]), 0).astype(int).to_numpy()
    copies = periods.loc[periods.index.repeat(counts)].reset_index(drop=True)
    copies["t"] = copies["start"] + copies.groupby(np.repeat(np.arange(len(periods)), counts)).cumcount() * copies["headway"]
    whole = copies["t"].round().astype(np.int64)
    copies["trip_id"] = (
        copies["template_id"] + "@" + (whole // 3600).map("{:02d}".format) + (whole % 3600 // 60).map("{:02d}".format) + (whole % 60).map("{:02d}".format)
    )
    templates = set(periods["template_id"])
    calls = stop_times[stop_times["trip_id"].isin(templates)].rename(columns={"trip_id": "template_id"})
    first = calls.groupby("template_id", sort=False)["departure_s"].transform("first")
    calls = calls.assign(arrival_s=calls["arrival_s"] - first, departure_s=calls["departure_s"] - first)
    new_times = copies[["trip_id", "template_id", "t"]].merge(calls, on="template_id")
    new_times["arrival_s"] += new_times["t"]
    new_times["departure_s"] += new_times["t"]
    new_times = new_times.drop(columns=["template_id", "t"])
    new_trips = copies[["trip_id", "template_id"]].merge(trips.drop(columns=["trip_id", "template_id"], errors="ignore").assign(template_id=trips["trip_id"]), on="template_id")
    trips_out = pd.concat([trips[~trips["trip_id"].isin(templates)], new_trips[trips.columns]], ignore_index=True)
    times_out = pd.concat([stop_times[~stop_times["trip_id"].isin(templates)], new_times[stop_times.columns]], ignore_index=True)
    return trips_out, times_out.sort_values(["trip_id", "stop_sequence"], kind="stable").reset_index(drop=True)


def materialized(feed: Feed, copies: set[str]) -> dict[str, pd.DataFrame]:
    """The feed's text tables with the frequency-based trips behind ``copies`` (expanded
    trip ids such as ``t1@073000``) written out as single trips.

    Each such template trip is replaced by all its copies in trips.txt and stop_times.txt
    (times shifted, other columns as the template's), and loses its frequencies.txt rows.
    """
    tables = dict(feed.tables)
    if not copies or not feed.has("frequencies.txt"):
        return tables
    expanded = feed.trips
    chosen = expanded[expanded["trip_id"].isin(copies)]
    templates = set(chosen["template_id"])
    new_trips = expanded[expanded["template_id"].isin(templates) & (expanded["trip_id"] != expanded["template_id"])]
    trips = tables["trips.txt"]
    raw_ids = trips["trip_id"].str.strip()
    rows = trips[raw_ids.isin(templates)].set_index(raw_ids[raw_ids.isin(templates)])
    copied = rows.loc[new_trips["template_id"]].reset_index(drop=True)
    copied["trip_id"] = new_trips["trip_id"].to_numpy()
    tables["trips.txt"] = pd.concat([trips[~raw_ids.isin(templates)], copied], ignore_index=True)
    stop_times = tables["stop_times.txt"]
    st_ids = stop_times["trip_id"].str.strip()
    raw = stop_times[st_ids.isin(templates)].copy()
    raw["_template"] = st_ids[st_ids.isin(templates)]
    raw["_seq"] = pd.to_numeric(raw["stop_sequence"], errors="coerce")
    times = feed.stop_times
    shifted = times.loc[times["trip_id"].isin(new_trips["trip_id"]), ["trip_id", "stop_sequence", "arrival_s", "departure_s"]]
    template_of = dict(zip(new_trips["trip_id"], new_trips["template_id"], strict=True))
    shifted = shifted.rename(columns={"trip_id": "_copy", "stop_sequence": "_seq"})
    shifted["_template"] = shifted["_copy"].map(template_of)
    merged = shifted.merge(raw, on=["_template", "_seq"])
    merged["trip_id"] = merged["_copy"]
    merged["arrival_time"] = [gtfs_time(t) for t in merged["arrival_s"]]
    merged["departure_time"] = [gtfs_time(t) for t in merged["departure_s"]]
    tables["stop_times.txt"] = pd.concat([stop_times[~st_ids.isin(templates)], merged[list(stop_times.columns)]], ignore_index=True)
    freq = tables["frequencies.txt"]
    tables["frequencies.txt"] = freq[~freq["trip_id"].str.strip().isin(templates)]
    return tables


def active_services(feed: Feed, day: date) -> set[str]:
    """The service ids running on ``day``: calendar.txt weekdays within the date range, with
    calendar_dates.txt exceptions (1 adds, 2 removes) applied."""
    running: set[str] = set()
    calendar = feed.table("calendar.txt")
    if not calendar.empty and "service_id" in calendar.columns:
        weekday = _WEEKDAYS[day.weekday()]
        start = parse_dates(feed.column("calendar.txt", "start_date"))
        end = parse_dates(feed.column("calendar.txt", "end_date"))
        stamp = pd.Timestamp(day)
        on = (feed.column("calendar.txt", weekday) == "1") & (start <= stamp) & (end >= stamp)
        running.update(calendar.loc[on, "service_id"])
    dates = feed.table("calendar_dates.txt")
    if not dates.empty and "service_id" in dates.columns:
        today = dates[feed.column("calendar_dates.txt", "date") == day.strftime("%Y%m%d")]
        running.update(today.loc[today.get("exception_type", "") == "1", "service_id"])
        running.difference_update(today.loc[today.get("exception_type", "") == "2", "service_id"])
    return running


def parse_day(text: str) -> date:
    """A ``YYYYMMDD`` date; raises ValueError on anything else."""
    return datetime.strptime(text, "%Y%m%d").date()


def trip_ends(feed: Feed, *, day: date | None = None) -> pd.DataFrame:
    """One row per trip that runs (on ``day`` if given): its line and ends.

    Columns: ``trip_id``, ``route_id``, ``service_id``, ``direction_id``, ``block_id``,
    ``shape_id``, ``headsign``, ``start_s``, ``end_s``, ``first_stop``, ``last_stop``,
    ``stops`` (number of calls) and ``pattern`` (the stop ids in order, joined by ``>``).
    Trips with fewer than two timed calls are left out.
    """
    times = feed.stop_times
    trips = feed.trips
    if day is not None:
        trips = trips[trips["service_id"].isin(active_services(feed, day))]
    times = times[times["trip_id"].isin(trips["trip_id"])]
    grouped = times.groupby("trip_id", sort=False)
    ends = pd.DataFrame(
        {
            "start_s": grouped["departure_s"].first(),
            "end_s": grouped["arrival_s"].last(),
            "first_stop": grouped["stop_id"].first(),
            "last_stop": grouped["stop_id"].last(),
            "stops": grouped.size(),
            "pattern": grouped["stop_id"].agg(">".join),
        }
    )
    ends = ends[(ends["stops"] >= 2) & ends["start_s"].notna() & ends["end_s"].notna()]
    merged = trips[["trip_id", "route_id", "service_id", "direction_id", "block_id", "shape_id", "trip_headsign"]].merge(
        ends, left_on="trip_id", right_index=True, how="inner"
    )
    merged = merged.rename(columns={"trip_headsign": "headsign"})
    return merged.sort_values(["start_s", "trip_id"], kind="stable").reset_index(drop=True)
