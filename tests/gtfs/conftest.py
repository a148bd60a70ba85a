"""Small hand-made feeds and trips for the gtfs tests."""

from __future__ import annotations

from datetime import date

import pytest

from gtfs.blocks import BlockTrip
from gtfs.deadheads import StraightLine
from gtfs.terminals import Place
from its.transit import Agency, Route, Service, Shape, Stop, StopTime, Timetable, Trip


def hm(text: str) -> float:
    """'07:30' or '25:10:30' in seconds."""
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600.0 + parts[1] * 60.0 + (parts[2] if len(parts) > 2 else 0)


@pytest.fixture
def timetable() -> Timetable:
    """A two-stop-station line, both directions, a trip past midnight, two services."""
    stops = (
        Stop("a1", "Alpha (platform 1)", -93.6, 41.6, parent_station="alpha", code="A1"),
        Stop("a2", "Alpha (platform 2)", -93.6001, 41.6001, parent_station="alpha"),
        Stop("alpha", "Alpha", -93.60005, 41.60005, location_type=1),
        Stop("m", "Middle", -93.59, 41.61),
        Stop("b", "Beta", -93.58, 41.62),
    )
    def trip(trip_id: str, start: str, direction: int, service: str = "wk") -> Trip:
        t0 = hm(start)
        calls = ("a1", "m", "b") if direction == 0 else ("b", "m", "a2")
        return Trip(
            trip_id,
            "r1",
            service,
            tuple(StopTime(s, t0 + 600.0 * k, t0 + 600.0 * k + (30.0 if k == 1 else 0.0)) for k, s in enumerate(calls)),
            direction_id=direction,
            headsign="Beta" if direction == 0 else "Alpha",
            shape_id=f"s{direction}",
            block_id="blk1" if trip_id == "t1" else None,
        )
    return Timetable(
        Agency("ag", "Test Transit", "https://example.org/transit", "America/Chicago", "en"),
        stops,
        (Route("r1", "1", "Alpha - Beta", 3, "0066CC", "FFFFFF"),),
        (trip("t1", "07:00", 0), trip("t2", "07:30:30", 1), trip("t3", "24:50", 0, "we")),
        (
            Service("wk", (True,) * 5 + (False,) * 2, date(2026, 1, 5), date(2026, 12, 31), removed=(date(2026, 12, 25),)),
            Service("we", (False,) * 5 + (True,) * 2, date(2026, 1, 5), date(2026, 12, 31), added=(date(2026, 12, 25),)),
        ),
        (Shape("s0", ((-93.6, 41.6), (-93.59, 41.61), (-93.58, 41.62))), Shape("s1", ((-93.58, 41.62), (-93.6001, 41.6001)))),
    )


@pytest.fixture
def two_terminals() -> tuple[list[Place], StraightLine]:
    """Terminals A and B 5 km apart and a garage G between them; deadheads at 30 km/h."""
    places = [Place("A", "A", -93.60, 41.60), Place("B", "B", -93.54, 41.60), Place("G", "G", -93.57, 41.60)]
    return places, StraightLine(places, speed_kmh=30.0, detour=1.0)


def shuttle(times: list[tuple[str, str, int, int]], line: str = "1") -> list[BlockTrip]:
    """Trips (start, end, from place, to place) of a line."""
    return [BlockTrip(f"{line}-{k}", line, hm(a), hm(b), p, q) for k, (a, b, p, q) in enumerate(times)]


@pytest.fixture(name="shuttle")
def shuttle_fixture():
    """The ``shuttle`` helper: trips from (start, end, from place, to place)."""
    return shuttle


@pytest.fixture(name="hm")
def hm_fixture():
    """The ``hm`` helper: '07:30' in seconds."""
    return hm
