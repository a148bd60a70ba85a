"""Units and time-of-day values: parsing and formatting of times, speeds and durations."""

from __future__ import annotations

import math
import re

from its.errors import InputError

__all__ = ["clock", "kmh_to_ms", "ms_to_kmh", "parse_duration", "parse_time"]

_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|min|m|h)?$")


def parse_time(value: str | float | int, *, field: str = "time") -> float:
    """Parse a time of day into seconds after midnight.

    Accepts seconds (``27000``), ``HH:MM`` or ``HH:MM:SS`` (hours may pass 24, as in GTFS).

    Raises
    ------
    InputError
        If the value is neither, naming ``field``.
    """
    if isinstance(value, bool):
        raise InputError(f"{field}: expected a time, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        match = _CLOCK.match(text)
        if match:
            hours, minutes, secs = match.groups()
            seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs or 0)
        else:
            try:
                seconds = float(text)
            except ValueError:
                raise InputError(
                    f"{field}: {value!r} is not a time; use seconds or HH:MM[:SS]"
                ) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{field}: {value!r} must be a non-negative time")
    return seconds


def parse_duration(value: str | float | int, *, field: str = "duration") -> float:
    """Parse a duration into seconds: ``900``, ``900s``, ``15min``, ``1.5h`` or ``HH:MM``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value.strip())):
        number, unit = match.groups()
        seconds = float(number) * {"h": 3600, "min": 60, "m": 60}.get(unit or "s", 1)
    elif isinstance(value, str) and _CLOCK.match(value.strip()):
        seconds = parse_time(value, field=field)
    else:
        raise InputError(f"{field}: {value!r} is not a duration; use e.g. 900, 15min or 1.5h")
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{field}: {value!r} must be a non-negative duration")
    return seconds


def clock(seconds: float) -> str:
    """Format seconds after midnight as ``HH:MM:SS`` (hours may pass 24)."""
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def kmh_to_ms(speed_kmh: float) -> float:
    """Convert kilometres per hour to metres per second."""
    return speed_kmh / 3.6


def ms_to_kmh(speed_ms: float) -> float:
    """Convert metres per second to kilometres per hour."""
    return speed_ms * 3.6
