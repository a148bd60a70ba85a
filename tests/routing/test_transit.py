"""Transit journeys on a small hand-checked timetable, with walking and real-time delays.

Two lines: line 1 runs A -> B -> C, line 2 runs D -> E. C and D are 110 m apart (a walking
transfer of about 110 s at 1.3 m/s with a 1.3 detour); F is far from everything.
"""

from __future__ import annotations

from datetime import date

import pytest

from its.errors import NoPathError
from its.transit import (
    Agency,
    Route,
    Service,
    Stop,
    StopTime,
    StopTimeUpdate,
    Timetable,
    Trip,
    TripUpdate,
)
from routing.transit import TransitRouter, haversine_m

DAY_START = 1_741_046_400.0  # Unix time of the service day's midnight


def _trip(trip_id, route, calls, service="wk"):
    return Trip(trip_id, route, service, tuple(StopTime(s, t, t) for s, t in calls))


@pytest.fixture
def timetable():
    stops = (
        Stop("A", "Alpha", 0.0, 0.0),
        Stop("B", "Bravo", 0.01, 0.0),
        Stop("C", "Charlie", 0.02, 0.0),
        Stop("D", "Delta", 0.0201, 0.0009),
        Stop("E", "Echo", 0.03, 0.001),
        Stop("F", "Foxtrot", 0.5, 0.5),
    )
    trips = (
        _trip("1a", "L1", [("A", 100), ("B", 200), ("C", 300)]),
        _trip("1b", "L1", [("A", 400), ("B", 500), ("C", 600)]),
        _trip("1s", "L1", [("A", 150), ("B", 250), ("C", 350)], service="sat"),
        _trip("2a", "L2", [("D", 450), ("E", 550)]),
        _trip("2b", "L2", [("D", 700), ("E", 800)]),
    )
    return Timetable(
        Agency("a", "Agency", "https://example.org", "UTC"),
        stops,
        (Route("L1", "1"), Route("L2", "2")),
        trips,
        (
            Service("wk", (True,) * 5 + (False,) * 2, date(2025, 1, 1), date(2025, 12, 31)),
            Service("sat", (False,) * 5 + (True, False), date(2025, 1, 1), date(2025, 12, 31)),
        ),
    )


def test_a_direct_ride(timetable):
    journey = TransitRouter(timetable).journey("A", "C", 50)
    assert [(leg.mode, leg.trip_id) for leg in journey.legs] == [("ride", "1a")]
    assert (journey.depart_s, journey.arrive_s) == (100, 300)


def test_a_transfer_with_a_walk_between_stops(timetable):
    router = TransitRouter(timetable)
    walk = haversine_m(0.02, 0.0, 0.0201, 0.0009) * 1.3 / 1.3
    journey = router.journey("A", "E", 50)
    assert [leg.mode for leg in journey.legs] == ["ride", "walk", "ride"]
    assert [leg.trip_id for leg in journey.legs if leg.mode == "ride"] == ["1a", "2a"]
    assert journey.legs[1].arrive_s - journey.legs[1].depart_s == pytest.approx(max(60.0, walk))
    assert journey.arrive_s == 550 and journey.transfers == 1


def test_a_delay_makes_the_connection_fail(timetable):
    router = TransitRouter(timetable)
    late = TripUpdate("1a", DAY_START + 200, stop_time_updates=(StopTimeUpdate(2, "B", arrival_delay_s=120.0),))
    assert router.apply_updates([late], service_day_start=DAY_START) == 1
    journey = router.journey("A", "E", 50)
    rides = [leg for leg in journey.legs if leg.mode == "ride"]
    # 1a now reaches C at 420 (+120 s, propagated), too late for 2a at 450 after the walk
    assert rides[0].trip_id == "1a" and rides[0].arrive_s == 420
    assert rides[1].trip_id == "2b" and journey.arrive_s == 800


def test_absolute_times_cancellations_and_skipped_stops(timetable):
    router = TransitRouter(timetable, service_date=date(2025, 3, 4))
    router.apply_updates(
        [
            TripUpdate("1a", DAY_START, relationship="CANCELED"),
            TripUpdate("1b", DAY_START, stop_time_updates=(StopTimeUpdate(1, "A", departure_time=DAY_START + 430),)),
        ],
        service_day_start=DAY_START,
    )
    journey = router.journey("A", "C", 50)
    assert journey.legs[0].trip_id == "1b"
    assert journey.legs[0].depart_s == 430 and journey.arrive_s == 630 and journey.legs[0].delay_s == 30
    router.apply_updates([TripUpdate("1b", DAY_START, stop_time_updates=(StopTimeUpdate(3, "C", skipped=True),))], service_day_start=DAY_START)
    with pytest.raises(NoPathError):
        router.journey("A", "C", 350, max_walk_m=100)


def test_an_added_trip_is_used(timetable):
    router = TransitRouter(timetable)
    added = TripUpdate(
        "extra",
        DAY_START,
        route_id="L1",
        relationship="ADDED",
        stop_time_updates=(
            StopTimeUpdate(stop_id="A", departure_time=DAY_START + 120),
            StopTimeUpdate(stop_id="C", arrival_time=DAY_START + 250),
        ),
    )
    router.apply_updates([added], service_day_start=DAY_START)
    journey = router.journey("A", "C", 110)
    assert journey.legs[0].trip_id == "extra" and journey.arrive_s == 250


def test_walking_from_a_point_and_the_service_calendar(timetable):
    saturday = TransitRouter(timetable, service_date=date(2025, 3, 8))
    journey = saturday.journey((0.0005, 0.0), "C", 0)
    assert journey.legs[0].mode == "walk" and journey.legs[1].trip_id == "1s"
    weekday = TransitRouter(timetable, service_date=date(2025, 3, 4))
    assert weekday.journey((0.0005, 0.0), "C", 0).legs[1].trip_id == "1a"


def test_pareto_set_and_errors(timetable):
    router = TransitRouter(timetable)
    found = router.journeys("B", (0.0201, 0.0009), 150)
    assert [j.rides for j in found] == sorted(j.rides for j in found)
    assert all(a.arrive_s > b.arrive_s for a, b in zip(found, found[1:], strict=False))
    with pytest.raises(NoPathError, match="not in the timetable"):
        router.journey("Z", "A", 0)
    with pytest.raises(NoPathError, match="no stop within"):
        router.journey((10.0, 10.0), "A", 0)
    with pytest.raises(NoPathError, match="no transit journey"):
        router.journey("E", "A", 0)


def test_next_departures_with_delays(timetable):
    router = TransitRouter(timetable, service_date=date(2025, 3, 4))
    router.apply_updates([TripUpdate("1a", DAY_START, delay_s=90.0)], service_day_start=DAY_START)
    found = router.departures("B", 150)
    assert [(d.trip_id, d.scheduled_s, d.expected_s, d.delay_s) for d in found] == [("1a", 200, 290, 90), ("1b", 500, 500, 0)]
    assert router.departures("C", 0) == []  # the end of the line is no departure
    assert [d.trip_id for d in router.departures("A", 0, limit=1)] == ["1a"]
