"""Probe points: validation, keyed-hash pseudonyms with daily keys, tracks into readings."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from its.errors import FeedError
from its.feeds.probes import (
    DailyKeys,
    EdgeMatch,
    ProbePoint,
    Pseudonymiser,
    parse_csv,
    parse_json,
    track_readings,
)

DAY = 1_741_071_600.0  # 2025-03-04 07:00 UTC


def test_pseudonyms_are_stable_within_a_day_and_unlinkable_across_days():
    keys = DailyKeys()
    pseudonymise = Pseudonymiser(keys)
    a = pseudonymise("ABC-123", DAY)
    assert a == pseudonymise("ABC-123", DAY + 3600)
    assert a != pseudonymise("ABC-124", DAY)
    assert a != pseudonymise("ABC-123", DAY + 86_400)
    # a keyed hash, nothing of the plate ("123" may turn up in the hex by chance: 1 in 200)
    assert re.fullmatch(r"v[0-9a-f]{24}", a) and "ABC" not in a.upper()
    # another installation (another random key) gives another pseudonym
    assert a != Pseudonymiser(DailyKeys())("ABC-123", DAY)


def test_daily_keys_forget_days_before_yesterday():
    keys = DailyKeys()
    first = keys(date(2025, 3, 1))
    keys(date(2025, 3, 2))
    assert keys(date(2025, 3, 1)) == first  # yesterday is still known
    keys(date(2025, 3, 4))
    assert keys(date(2025, 3, 1)) != first  # gone: a fresh key now


def test_parse_keeps_good_points_and_never_the_raw_id():
    pseudonymise = Pseudonymiser(DailyKeys())
    points, rejected = parse_json(
        json.dumps({
            "points": [
                {"vehicle": "taxi-7", "time": DAY, "lon": -93.0, "lat": 42.0, "speed_kmh": 36, "heading": 90},
                {"vehicle": "taxi-7", "time": DAY + 5, "lon": -93.0, "lat": 42.0},
                {"vehicle": "taxi-8", "time": DAY, "lon": -193.0, "lat": 42.0},
                {"vehicle": "taxi-9", "time": DAY, "lat": 42.0},
                {"time": DAY, "lon": 1, "lat": 1},
                {"vehicle": "x", "time": DAY, "lon": 1, "lat": 1, "speed_ms": 300},
                {"vehicle": "x", "time": DAY, "lon": 1, "lat": 1, "heading": 400},
            ]
        }),
        pseudonymise=pseudonymise,
    )
    assert len(points) == 2
    assert points[0].speed_ms == pytest.approx(10.0) and points[0].heading_deg == 90
    assert all("taxi" not in p.vehicle for p in points)
    assert dict(rejected) == {
        "out of range: position": 1,
        "missing lon": 1,
        "missing vehicle": 1,
        "out of range: speed": 1,
        "out of range: heading": 1,
    }


def test_parse_csv_and_malformed_input():
    pseudonymise = Pseudonymiser(DailyKeys())
    points, rejected = parse_csv("vehicle,time,lon,lat,speed_ms\nv1,100,1,2,3\nv1,oops,1,2,3\nv2,100,1\n", pseudonymise=pseudonymise)
    assert len(points) == 1 and dict(rejected) == {"bad time": 1, "wrong column count": 1}
    with pytest.raises(FeedError, match="lacks the column"):
        parse_csv("vehicle,time\n", pseudonymise=pseudonymise)
    with pytest.raises(FeedError, match="not JSON"):
        parse_json("{{{", pseudonymise=pseudonymise)


def _matcher(points):
    """A stand-in matcher: x < 0 is off the road; edge by the integer part of lon."""
    out = []
    previous = None
    for p in points:
        if p.lon < 0:
            out.append(None)
            continue
        driven = None if previous is None else (p.lon - previous.lon) * 1000.0
        out.append(EdgeMatch(f"e{int(p.lon)}", (p.lon % 1) * 1000.0, 2.0, driven))
        previous = p
    return out


def test_track_readings_one_per_passage_with_derived_speed():
    track = [ProbePoint("v", DAY + 10 * i, 0.1 + 0.1 * i, 0.0) for i in range(12)]  # 100 m per 10 s
    track.append(ProbePoint("v", DAY + 200, -1.0, 0.0))
    track.append(ProbePoint("v", DAY + 10, 0.2, 0.0))  # sent twice
    batch = track_readings(track, _matcher)
    assert [r.edge for r in batch.readings] == ["e0", "e1"]
    assert all(r.speed_ms == pytest.approx(10.0) for r in batch.readings)
    assert batch.readings[0].time == DAY and batch.readings[0].kind == "probe"
    assert batch.rejected == {"far from any road": 1, "duplicate point": 1}


def test_track_readings_prefer_reported_speed_and_split_at_gaps():
    track = [ProbePoint("v", DAY, 0.1, 0.0, 5.0), ProbePoint("v", DAY + 10, 0.2, 0.0, 7.0), ProbePoint("v", DAY + 4000, 0.3, 0.0, 9.0)]
    batch = track_readings(track, _matcher)
    assert [r.speed_ms for r in batch.readings] == [6.0, 9.0]


def test_a_days_key_is_fetched_once_and_old_ones_forgotten():
    asked = []

    def keys(day):
        asked.append(day)
        return day.isoformat().encode() * 2

    pseudonymise = Pseudonymiser(keys)
    for i in range(100):
        pseudonymise(f"car-{i}", DAY + i)
    assert asked == [date(2025, 3, 4)]
    pseudonymise("car-1", DAY + 3 * 86_400)
    assert date(2025, 3, 4) not in pseudonymise._keys
