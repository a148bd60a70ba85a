"""Probe-vehicle points: validation, pseudonymisation and map-matched tracks as readings.

A vehicle's id is replaced by a keyed hash (HMAC-SHA256) the moment a point is parsed; the
key is random per UTC day and forgotten after the next day, so pseudonyms cannot be linked
across days and raw ids are never stored. Map matching is handed in as a plain callable
(``routing.matching`` provides it; the core does not import routing).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from its.errors import FeedError
from its.feeds.readings import Batch, Reading, Rejections, row_identity

__all__ = [
    "DailyKeys",
    "EdgeMatch",
    "Matcher",
    "ProbePoint",
    "Pseudonymiser",
    "parse_csv",
    "parse_json",
    "parse_rows",
    "track_readings",
]

_MAX_SPEED_MS = 75.0


@dataclass(frozen=True, slots=True)
class ProbePoint:
    """One fix of a probe vehicle: ``vehicle`` is already a pseudonym; Unix seconds, WGS84
    degrees, speed in m/s and heading in degrees clockwise from north (either may be None).
    """

    vehicle: str
    time: float
    lon: float
    lat: float
    speed_ms: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True, slots=True)
class EdgeMatch:
    """Where a point was matched: the edge, the position along it (metres from its start),
    the distance from the point to the road (metres), and the distance driven along the
    network since the previous matched point of the track (metres; None for the first).
    """

    edge: str
    offset_m: float
    distance_m: float
    driven_m: float | None = None


#: Matches one vehicle's points (in time order) to edges; None for a point off every road.
Matcher = Callable[[Sequence[ProbePoint]], Sequence[EdgeMatch | None]]


class DailyKeys:
    """Random HMAC keys, one per UTC day, kept for that day and the next only.

    Keeping the previous day's key lets a track that crosses midnight be matched; older
    keys are dropped, so yesterday's pseudonyms cannot be recomputed afterwards. A store can
    provide the same interface (``Store.day_key``) so several processes share a day's key.
    """

    def __init__(self) -> None:
        self._keys: dict[date, bytes] = {}
        self._lock = threading.Lock()

    def __call__(self, day: date) -> bytes:
        with self._lock:
            if day not in self._keys:
                self._keys[day] = secrets.token_bytes(32)
                for old in [d for d in self._keys if (day - d).days > 1]:
                    del self._keys[old]
            return self._keys[day]


class Pseudonymiser:
    """Turns a raw vehicle id into a stable-for-one-day pseudonym.

    Parameters
    ----------
    key_for_day
        Returns the secret key of a UTC day (see :class:`DailyKeys`).
    """

    def __init__(self, key_for_day: Callable[[date], bytes]) -> None:
        self._key_for_day = key_for_day
        # a day's key is asked for once (a store answers from the database); the cache, like
        # the store, forgets days before yesterday
        self._keys: dict[date, bytes] = {}
        self._lock = threading.Lock()

    def __call__(self, raw_id: str, time: float) -> str:
        day = datetime.fromtimestamp(time, UTC).date()
        key = self._keys.get(day)
        if key is None:
            with self._lock:
                key = self._keys[day] = self._key_for_day(day)
                newest = max(self._keys)
                for old in [d for d in self._keys if (newest - d).days > 1]:
                    del self._keys[old]
        digest = hmac.new(key, raw_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return "v" + digest[:24]


def parse_json(data: bytes | str, *, pseudonymise: Pseudonymiser, tz: str = "UTC") -> tuple[list[ProbePoint], Rejections]:
    """Points from ``{"points": [...]}``, a list, or NDJSON; raw ids are hashed at once.

    A point has ``vehicle``, ``time``, ``lon``, ``lat`` and optionally ``speed_ms`` (or
    ``speed_kmh``) and ``heading`` (degrees).

    Raises
    ------
    FeedError
        If nothing in ``data`` is JSON.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    rejections = Rejections()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        rows: list[Any] = []
        for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                rejections.reject("malformed json", f"line {number}")
        if not rows:
            raise FeedError(f"probe batch is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    else:
        if isinstance(document, dict) and "points" in document:
            rows = document["points"] if isinstance(document["points"], list) else [document["points"]]
        else:
            rows = document if isinstance(document, list) else [document]
    points, more = parse_rows(rows, pseudonymise=pseudonymise, tz=tz)
    rejections.merge(more)
    return points, rejections


def parse_csv(data: bytes | str, *, pseudonymise: Pseudonymiser, tz: str = "UTC") -> tuple[list[ProbePoint], Rejections]:
    """Points from CSV with a header row (``vehicle,time,lon,lat[,speed_ms][,heading]``)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FeedError("probe CSV is empty; the first row must name the columns") from None
    missing = {"vehicle", "time", "lon", "lat"} - set(header)
    if missing:
        raise FeedError(f"probe CSV header lacks the column(s) {', '.join(sorted(missing))}")
    rejections = Rejections()
    rows: list[Any] = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            rejections.reject("wrong column count", f"line {number}")
            continue
        rows.append({k: v for k, v in zip(header, row, strict=True) if v.strip() != ""} | {"_line": number})
    points, more = parse_rows(rows, pseudonymise=pseudonymise, tz=tz)
    rejections.merge(more)
    return points, rejections


def parse_rows(rows: Iterable[Any], *, pseudonymise: Pseudonymiser, tz: str = "UTC") -> tuple[list[ProbePoint], Rejections]:
    """Validate decoded rows into points; the raw id is dropped as soon as it is hashed."""
    rejections = Rejections()
    points: list[ProbePoint] = []
    for index, raw_row in enumerate(rows):
        head = row_identity(raw_row, index, rejections, keys=("vehicle", "id"), what="vehicle", tz=tz)
        if head is None:
            continue
        row, where, raw, time = head
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
            speed = _optional(row, "speed_ms")
            if speed is None and (kmh := _optional(row, "speed_kmh")) is not None:
                speed = kmh / 3.6
            heading = _optional(row, "heading")
        except KeyError as missing:
            rejections.reject(f"missing {missing.args[0]}", where)
            continue
        except (TypeError, ValueError):
            rejections.reject("not a number", where)
            continue
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            rejections.reject("out of range: position", where)
            continue
        if speed is not None and not (0 <= speed <= _MAX_SPEED_MS):
            rejections.reject("out of range: speed", where)
            continue
        if heading is not None and not (0 <= heading <= 360):
            rejections.reject("out of range: heading", where)
            continue
        points.append(ProbePoint(pseudonymise(str(raw).strip(), time), time, lon, lat, speed, heading))
    return points, rejections


def track_readings(
    points: Sequence[ProbePoint],
    match: Matcher,
    *,
    feed: str = "probes",
    kind: str = "probe",
    max_gap_s: float = 300.0,
    rejections: Rejections | None = None,
) -> Batch:
    """Map-match each vehicle's track and make one reading per passage along an edge.

    Consecutive points of a vehicle on the same edge give one reading (at the first point's
    time and position) whose speed is the mean of the points' own speeds, or else the
    distance driven along the network over the time taken. Points the matcher finds off
    every road are dropped and counted as ``far from any road``; a repeated point (same
    vehicle and time) is counted as ``duplicate point``.
    """
    rejections = rejections if rejections is not None else Rejections()
    tracks: dict[str, list[ProbePoint]] = defaultdict(list)
    for point in points:
        tracks[point.vehicle].append(point)
    readings: list[Reading] = []
    for vehicle, track in tracks.items():
        track.sort(key=lambda p: p.time)
        unique = [p for i, p in enumerate(track) if i == 0 or p.time != track[i - 1].time]
        for _ in range(len(track) - len(unique)):
            rejections.reject("duplicate point", vehicle)
        for segment in _split(unique, max_gap_s):
            matches = match(segment)
            run: list[tuple[ProbePoint, EdgeMatch]] = []
            previous: tuple[ProbePoint, EdgeMatch] | None = None
            for point, found in zip(segment, matches, strict=True):
                if found is None:
                    rejections.reject("far from any road", f"{vehicle} at {point.lon:.5f},{point.lat:.5f}")
                    continue
                if run and found.edge != run[-1][1].edge:
                    readings.append(_passage(run, previous, feed, kind))
                    previous = run[-1]
                    run = []
                run.append((point, found))
            if run:
                readings.append(_passage(run, previous, feed, kind))
    return Batch.of(readings, rejections)


def _split(track: list[ProbePoint], max_gap_s: float) -> list[list[ProbePoint]]:
    """Split a track where the vehicle was not heard from for longer than ``max_gap_s``."""
    segments: list[list[ProbePoint]] = []
    for point in track:
        if not segments or point.time - segments[-1][-1].time > max_gap_s:
            segments.append([])
        segments[-1].append(point)
    return segments


def _passage(
    run: list[tuple[ProbePoint, EdgeMatch]], before: tuple[ProbePoint, EdgeMatch] | None, feed: str, kind: str
) -> Reading:
    first = run[0][0]
    own = [p.speed_ms for p, _ in run if p.speed_ms is not None]
    speed: float | None
    if own:
        speed = sum(own) / len(own)
    else:
        # distance driven along the network over the time between the fixes
        chain = ([before] if before is not None else []) + run
        driven = sum(m.driven_m or 0.0 for _, m in chain[1:])
        elapsed = chain[-1][0].time - chain[0][0].time
        speed = driven / elapsed if elapsed > 0 and len(chain) > 1 else None
        if speed is not None and speed > _MAX_SPEED_MS:
            speed = None
    return Reading(
        feed=feed,
        kind=kind,
        sensor=first.vehicle,
        time=first.time,
        edge=run[0][1].edge,
        speed_ms=speed,
        lon=first.lon,
        lat=first.lat,
    )


def _optional(row: Mapping[str, Any], name: str) -> float | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(name)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(name)
    return number
