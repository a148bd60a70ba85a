"""Detector batches (flow, occupancy, speed per detector per interval) as readings.

Three wire shapes, all parsed here without I/O: JSON (an object with ``readings``, a list, or
one object per line), CSV with a header row, and the raw PeMS station 5-minute text format.
A row that is malformed or out of range is counted under its reason; the good rows of the
same batch are kept.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from its.errors import FeedError
from its.feeds.readings import Batch, Reading, Rejections, row_identity

__all__ = ["LIMITS", "from_csv", "from_json", "from_pems", "from_rows"]

#: Plausible ranges; a value outside is a broken detector, not traffic.
LIMITS = {
    "flow_veh_h": (0.0, 12_000.0),
    "occupancy_pct": (0.0, 100.0),
    "speed_ms": (0.0, 75.0),
    "interval_s": (1.0, 86_400.0),
}
_MPH = 0.44704


def from_json(
    data: bytes | str,
    *,
    feed: str = "field",
    detector_edges: Mapping[str, str] | None = None,
    tz: str = "UTC",
) -> Batch:
    """Readings from a JSON batch.

    Accepts ``{"feed": ..., "readings": [row, ...]}``, a bare list of rows, or one row object
    per line (NDJSON, where a broken line is counted and the others kept). A row has
    ``detector``, ``time`` (ISO 8601 or Unix seconds), ``interval_s`` (default 300) and at
    least one of ``flow_veh_h`` (or ``vehicles`` in the interval), ``occupancy_pct``,
    ``speed_ms`` (or ``speed_kmh``); ``edge`` is optional when ``detector_edges`` knows it.

    Raises
    ------
    FeedError
        If nothing in ``data`` is JSON at all.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    rejections = Rejections()
    rows: list[Any]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        rows = []
        lines = [ln for ln in text.splitlines() if ln.strip()]
        for number, line in enumerate(lines, start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                rejections.reject("malformed json", f"line {number}")
        if not rows:
            raise FeedError(f"detector batch is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    else:
        if isinstance(document, dict) and "readings" in document:
            feed = str(document.get("feed") or feed)
            rows = document["readings"] if isinstance(document["readings"], list) else [document["readings"]]
        elif isinstance(document, list):
            rows = document
        else:
            rows = [document]
    batch = from_rows(rows, feed=feed, detector_edges=detector_edges, tz=tz)
    rejections.merge(_rejections_of(batch))
    return Batch.of(batch.readings, rejections)


def from_csv(
    data: bytes | str,
    *,
    feed: str = "field",
    detector_edges: Mapping[str, str] | None = None,
    tz: str = "UTC",
) -> Batch:
    """Readings from CSV with a header row naming the same fields as the JSON rows."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FeedError("detector CSV is empty; the first row must name the columns") from None
    if "detector" not in header or "time" not in header:
        raise FeedError(f"detector CSV header {','.join(header)!r} needs at least the columns detector and time")
    rejections = Rejections()
    rows: list[Any] = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            rejections.reject("wrong column count", f"line {number}")
            continue
        rows.append({k: v for k, v in zip(header, row, strict=True) if v.strip() != ""} | {"_line": number})
    batch = from_rows(rows, feed=feed, detector_edges=detector_edges, tz=tz)
    rejections.merge(_rejections_of(batch))
    return Batch.of(batch.readings, rejections)


def from_rows(
    rows: Iterable[Any],
    *,
    feed: str,
    detector_edges: Mapping[str, str] | None = None,
    tz: str = "UTC",
) -> Batch:
    """Readings from already-decoded rows (mappings); see :func:`from_json` for the fields."""
    rejections = Rejections()
    readings: list[Reading] = []
    edges = detector_edges or {}
    for index, raw_row in enumerate(rows):
        head = row_identity(raw_row, index, rejections, keys=("detector", "id"), what="detector", tz=tz)
        if head is None:
            continue
        row, where, detector, time = head
        try:
            interval = _number(row, "interval_s", 300.0)
            flow = _number(row, "flow_veh_h")
            if flow is None and (vehicles := _number(row, "vehicles")) is not None:
                flow = vehicles * 3600.0 / interval if interval else None
            occupancy = _number(row, "occupancy_pct")
            speed = _number(row, "speed_ms")
            if speed is None and (kmh := _number(row, "speed_kmh")) is not None:
                speed = kmh / 3.6
        except _BadNumber as bad:
            rejections.reject(f"not a number: {bad.field}", where)
            continue
        values = {"flow_veh_h": flow, "occupancy_pct": occupancy, "speed_ms": speed, "interval_s": interval}
        out_of_range = next(
            (k for k, v in values.items() if v is not None and not (LIMITS[k][0] <= v <= LIMITS[k][1])), None
        )
        if out_of_range:
            rejections.reject(f"out of range: {out_of_range}", where)
            continue
        if flow is None and occupancy is None and speed is None:
            rejections.reject("no measurement", where)
            continue
        sensor = str(detector).strip()
        edge = row.get("edge") or edges.get(sensor)
        readings.append(
            Reading(
                feed=feed,
                kind="detector",
                sensor=sensor,
                time=time,
                edge=str(edge) if edge else None,
                interval_s=interval,
                flow_veh_h=flow,
                occupancy_pct=occupancy,
                speed_ms=speed,
            )
        )
    return Batch.of(readings, rejections)


def from_pems(
    data: bytes | str,
    *,
    feed: str = "pems",
    tz: str = "America/Los_Angeles",
    detector_edges: Mapping[str, str] | None = None,
) -> Batch:
    """Readings from a raw PeMS station 5-minute file (no header, 52 columns).

    Columns used: timestamp (``MM/DD/YYYY HH24:MI:SS``, local time in ``tz``), station,
    total flow (vehicles per 5 minutes, becomes vehicles/hour), average occupancy (a
    fraction, becomes percent) and average speed (mph, becomes m/s). Ramps report no speed.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    zone = ZoneInfo(tz)
    rejections = Rejections()
    readings: list[Reading] = []
    edges = detector_edges or {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) < 12:
            rejections.reject("wrong column count", f"line {number}")
            continue
        try:
            moment = datetime.strptime(cells[0], "%m/%d/%Y %H:%M:%S").replace(tzinfo=zone)
        except ValueError:
            rejections.reject("bad time", f"line {number}")
            continue
        try:
            flow5 = float(cells[9]) if cells[9] else None
            occupancy = float(cells[10]) * 100.0 if cells[10] else None
            speed = float(cells[11]) * _MPH if cells[11] else None
        except ValueError:
            rejections.reject("not a number", f"line {number}")
            continue
        flow = flow5 * 12.0 if flow5 is not None else None
        if flow is None and occupancy is None and speed is None:
            rejections.reject("no measurement", f"line {number}")
            continue
        values = {"flow_veh_h": flow, "occupancy_pct": occupancy, "speed_ms": speed}
        if any(v is not None and not (LIMITS[k][0] <= v <= LIMITS[k][1]) for k, v in values.items()):
            rejections.reject("out of range", f"line {number}")
            continue
        station = cells[1].strip()
        readings.append(
            Reading(
                feed=feed,
                kind="detector",
                sensor=station,
                time=moment.timestamp(),
                edge=edges.get(station),
                interval_s=300.0,
                flow_veh_h=flow,
                occupancy_pct=occupancy,
                speed_ms=speed,
            )
        )
    return Batch.of(readings, rejections)


class _BadNumber(Exception):
    def __init__(self, field: str) -> None:
        self.field = field


def _number(row: Mapping[str, Any], name: str, default: float | None = None) -> float | None:
    value = row.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _BadNumber(name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _BadNumber(name) from None
    if not math.isfinite(number):
        raise _BadNumber(name)
    return number


def _rejections_of(batch: Batch) -> Rejections:
    rejections = Rejections()
    rejections.update(batch.rejected)
    rejections.examples.update(batch.examples)
    return rejections
