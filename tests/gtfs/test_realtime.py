"""GTFS-Realtime: the MBTA samples, round trips of what the twin publishes, bad messages,
and fetching through an httpx.MockTransport (no network).
"""

from __future__ import annotations

import threading

import httpx
import pytest
from google.transit import gtfs_realtime_pb2 as pb

from gtfs import _fetch
from gtfs.realtime import (
    decode,
    decode_many,
    encode_alerts,
    encode_trip_updates,
    encode_vehicle_positions,
)
from its.errors import FeedError
from its.transit import Alert, StopTimeUpdate, TripUpdate, VehiclePosition


def _sample(shared_data, name: str) -> bytes:
    return (shared_data / "feeds" / "gtfs_rt_mbta" / f"{name}.pb").read_bytes()


def test_mbta_vehicle_positions(shared_data):
    feed = decode(_sample(shared_data, "vehiclepositions"))
    assert len(feed.vehicles) == 48 and not feed.rejected
    first = next(v for v in feed.vehicles if v.vehicle_id == "10068")
    assert first.trip_id == "34657674" and first.route_id == "Green-B"
    assert first.lat == pytest.approx(42.3400612) and first.lon == pytest.approx(-71.165123)
    assert first.bearing == 90 and first.status == "IN_TRANSIT_TO" and first.stop_id == "70110"
    assert first.timestamp == 1513622761 and first.label == "3855-3691"


def test_mbta_trip_updates_with_added_trips(shared_data):
    feed = decode(_sample(shared_data, "tripupdates"))
    assert len(feed.trip_updates) == 49
    added = [u for u in feed.trip_updates if u.relationship == "ADDED"]
    assert len(added) == 35
    first = next(u for u in feed.trip_updates if u.trip_id == "ADDED-1873")
    assert first.route_id == "Green-D" and first.vehicle_id == "10034"
    assert [s.stop_id for s in first.stop_time_updates] == ["70167", "70165", "70163", "70161"]
    assert first.stop_time_updates[0].arrival_time == 1513622831
    assert first.stop_time_updates[-1].departure_time is None


def test_mbta_alerts(shared_data):
    feed = decode(_sample(shared_data, "alerts"))
    assert len(feed.alerts) == 51
    alert = next(a for a in feed.alerts if a.alert_id == "105025")
    assert alert.header == "elevator unavailable" and alert.cause == "CONSTRUCTION" and alert.effect == "OTHER_EFFECT"
    assert alert.stop_ids == ("70026", "70027", "70205", "70206")
    assert alert.active(1.6e9) and not alert.active(1.4e9)


def test_encode_then_decode_gives_the_same_values():
    vehicles = [
        VehiclePosition("bus_1", -93.0, 42.0, 1_700_000_000, trip_id="1_out_0705", route_id="line_1", bearing=90.0, speed_ms=8.5, stop_id="centre_e", label="1", status="IN_TRANSIT_TO"),
        VehiclePosition("bus_2", -93.01, 42.01, 1_700_000_000),
    ]
    back = decode(encode_vehicle_positions(vehicles, timestamp=1_700_000_005))
    assert back.timestamp == 1_700_000_005
    assert back.vehicles[0].lon == pytest.approx(-93.0) and back.vehicles[0].speed_ms == pytest.approx(8.5)
    assert back.vehicles[0].trip_id == "1_out_0705" and back.vehicles[0].status == "IN_TRANSIT_TO"
    assert back.vehicles[1].trip_id is None and back.vehicles[1].bearing is None
    updates = [
        TripUpdate("t1", 1_700_000_000, route_id="r", vehicle_id="bus_1", delay_s=42.0,
                   stop_time_updates=(StopTimeUpdate(2, "s2", arrival_delay_s=42.0, departure_delay_s=50.0), StopTimeUpdate(3, "s3", skipped=True))),
        TripUpdate("t2", 1_700_000_000, relationship="CANCELED"),
    ]  # fmt: skip
    decoded = decode(encode_trip_updates(updates, timestamp=1_700_000_000)).trip_updates
    assert decoded[0].delay_s == 42.0 and decoded[0].stop_time_updates[0].departure_delay_s == 50.0
    assert decoded[0].stop_time_updates[1].skipped and decoded[1].relationship == "CANCELED"
    alerts = [Alert("a1", "Main Street closed", "Detour via Oak", cause="CONSTRUCTION", effect="DETOUR", active_periods=((1.0, None),), route_ids=("line_1",))]
    assert decode(encode_alerts(alerts, timestamp=1)).alerts == tuple(alerts)


def test_malformed_messages_and_entities():
    with pytest.raises(FeedError, match="not a GTFS-Realtime FeedMessage"):
        decode(b"\xff\xff\xff garbage")
    with pytest.raises(FeedError, match="header"):
        decode(b"")
    message = pb.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = 100
    good = message.entity.add(id="ok")
    good.vehicle.position.latitude, good.vehicle.position.longitude = 42.0, -71.0
    message.entity.add(id="no-position").vehicle.vehicle.id = "v"
    bad = message.entity.add(id="nowhere")
    bad.vehicle.position.latitude, bad.vehicle.position.longitude = 0.0, 0.0
    message.entity.add(id="empty")
    message.entity.add(id="no-trip").trip_update.trip.route_id = "r"
    feed = decode_many([message.SerializeToString(), b"\x08\x96\x01 broken"])
    assert [v.vehicle_id for v in feed.vehicles] == ["ok"] and feed.vehicles[0].timestamp == 100
    assert feed.rejected == {
        "vehicle without position": 1,
        "vehicle position out of range": 1,
        "entity without vehicle, trip_update or alert": 1,
        "trip update without trip_id": 1,
        "malformed protobuf": 1,
    }


def _client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_fetch_and_poll_through_a_mock_transport():
    body = encode_vehicle_positions([VehiclePosition("v", 1.0, 2.0, 3.0)], timestamp=3)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if len(calls) == 2:
            return httpx.Response(503)
        return httpx.Response(200, content=body)

    with _client(handler) as client:
        assert decode(_fetch.fetch(client, "https://agency.example/vp")).vehicles[0].vehicle_id == "v"
        received, failures = [], []
        handled = _fetch.poll(client, "https://agency.example/vp", received.append, interval_s=0.0, rounds=3, on_error=failures.append)
    assert handled == 2 and len(received) == 2 and len(calls) == 4
    assert "HTTP 503" in str(failures[0])


def test_fetch_errors_name_the_url():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with _client(refuse) as client, pytest.raises(FeedError, match="cannot fetch https://agency.example/tu: ConnectError"):
        _fetch.fetch(client, "https://agency.example/tu")
    with _client(lambda r: httpx.Response(404)) as client, pytest.raises(FeedError, match="HTTP 404"):
        _fetch.fetch(client, "https://agency.example/tu")


def test_poll_stops_when_asked():
    stop = threading.Event()
    stop.set()
    with _client(lambda r: httpx.Response(200, content=b"")) as client:
        assert _fetch.poll(client, "https://agency.example/x", lambda b: None, stop=stop) == 0
