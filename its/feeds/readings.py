"""The normalised reading every feed produces, and a batch of them with its rejections."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from its.errors import FeedError

__all__ = ["KINDS", "Batch", "Reading", "Rejections", "parse_timestamp", "row_identity"]

#: What a reading measures: a fixed detector's interval, a probe vehicle's passage along an
#: edge, or a transit vehicle's (a bus is a probe too, but one with a timetable).
KINDS = ("detector", "probe", "transit")


@dataclass(frozen=True, slots=True)
class Reading:
    """One normalised observation.

    Parameters
    ----------
    feed
        Which feed sent it (``"field"``, ``"pems"``, ``"twin"``, an agency name...).
    kind
        One of :data:`KINDS`.
    sensor
        The detector id, or a probe vehicle's pseudonym (never a raw vehicle id).
    time
        Start of the interval (detectors) or time of the fix (probes), Unix seconds (UTC).
    edge
        The network edge observed, when known.
    interval_s
        Length of a detector's counting interval, seconds (0 for a point observation).
    flow_veh_h, occupancy_pct, speed_ms
        Flow in vehicles/hour, occupancy in percent, speed in m/s; None when not measured.
    lon, lat
        Where a probe was, WGS84 degrees.
    """

    feed: str
    kind: str
    sensor: str
    time: float
    edge: str | None = None
    interval_s: float = 0.0
    flow_veh_h: float | None = None
    occupancy_pct: float | None = None
    speed_ms: float | None = None
    lon: float | None = None
    lat: float | None = None

    @property
    def key(self) -> tuple[str, str, str, float]:
        """What makes a reading unique: the same reading sent twice is stored once."""
        return (self.feed, self.kind, self.sensor, self.time)


class Rejections(Counter[str]):
    """Counts of rejected rows per reason, with the first example of each reason."""

    def __init__(self) -> None:
        super().__init__()
        self.examples: dict[str, str] = {}

    def reject(self, reason: str, where: str = "") -> None:
        self[reason] += 1
        if where and reason not in self.examples:
            self.examples[reason] = where

    def merge(self, other: Rejections) -> None:
        self.update(other)
        for reason, where in other.examples.items():
            self.examples.setdefault(reason, where)


@dataclass(frozen=True)
class Batch:
    """What an adapter made of one batch: the good readings and the rejections per reason."""

    readings: tuple[Reading, ...]
    rejected: Mapping[str, int] = field(default_factory=dict)
    examples: Mapping[str, str] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @classmethod
    def of(cls, readings: Iterable[Reading], rejections: Rejections) -> Batch:
        return cls(tuple(readings), dict(rejections), dict(rejections.examples))

    def summary(self) -> dict[str, object]:
        """A JSON-ready account: accepted count and rejections per reason."""
        return {"accepted": len(self.readings), "rejected": dict(self.rejected), "examples": dict(self.examples)}


def parse_timestamp(value: object, *, tz: tzinfo | str = "UTC") -> float:
    """A time as Unix seconds: a number (already Unix seconds) or ISO 8601 text.

    ISO times without an offset are read in ``tz``.

    Raises
    ------
    FeedError
        If the value is neither, or not finite.
    """
    if isinstance(value, bool):
        raise FeedError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise FeedError(f"{value!r} is not a time; use ISO 8601 or Unix seconds") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(tz) if isinstance(tz, str) else tz)
            seconds = moment.timestamp()
    else:
        raise FeedError(f"{value!r} is not a time")
    if not math.isfinite(seconds) or seconds < 0:
        raise FeedError(f"{value!r} is not a valid time")
    return seconds


def row_identity(
    row: object, index: int, rejections: Rejections, *, keys: tuple[str, ...], what: str, tz: tzinfo | str
) -> tuple[Mapping[str, Any], str, object, float] | None:
    """The parts every feed row needs: where it is (for messages), its id (first of ``keys``
    present) and its time. Returns None after counting the reason when one is missing or bad.
    """
    where = f"line {row['_line']}" if isinstance(row, dict) and "_line" in row else f"row {index + 1}"
    if not isinstance(row, Mapping):
        rejections.reject("row is not an object", where)
        return None
    ident = next((row[k] for k in keys if row.get(k) is not None), None)
    if ident is None or str(ident).strip() == "":
        rejections.reject(f"missing {what}", where)
        return None
    if "time" not in row:
        rejections.reject("missing time", where)
        return None
    try:
        time = parse_timestamp(row["time"], tz=tz)
    except FeedError:
        rejections.reject("bad time", where)
        return None
    return row, where, ident, time
