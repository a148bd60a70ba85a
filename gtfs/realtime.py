"""GTFS-Realtime: decoding VehiclePositions, TripUpdates and Alerts into the core's plain
values, and encoding vehicle positions and trip updates (e.g. of the live twin's buses).

The protobuf classes come from ``gtfs-realtime-bindings``. A message that is not a
FeedMessage at all is a :class:`its.errors.FeedError`; inside a good message, an entity that
lacks what its kind needs is counted under its reason and the others are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as pb

from its.errors import FeedError
from its.feeds.readings import Rejections
from its.transit import Alert, StopTimeUpdate, TripUpdate, VehiclePosition

__all__ = ["RealtimeFeed", "decode", "decode_many", "encode_alerts", "encode_trip_updates", "encode_vehicle_positions"]

_STATUS = {v: k for k, v in pb.VehiclePosition.VehicleStopStatus.items()}
_TRIP_REL = {v: k for k, v in pb.TripDescriptor.ScheduleRelationship.items()}
_STOP_REL = {v: k for k, v in pb.TripUpdate.StopTimeUpdate.ScheduleRelationship.items()}
_CAUSE = {v: k for k, v in pb.Alert.Cause.items()}
_EFFECT = {v: k for k, v in pb.Alert.Effect.items()}


@dataclass(frozen=True)
class RealtimeFeed:
    """What one or more FeedMessages held: ``timestamp`` is the header's (Unix seconds)."""

    timestamp: float
    vehicles: tuple[VehiclePosition, ...] = ()
    trip_updates: tuple[TripUpdate, ...] = ()
    alerts: tuple[Alert, ...] = ()
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        return {
            "timestamp": self.timestamp,
            "vehicles": len(self.vehicles),
            "trip_updates": len(self.trip_updates),
            "alerts": len(self.alerts),
            "rejected": dict(self.rejected),
        }


def decode(data: bytes) -> RealtimeFeed:
    """Decode one FeedMessage (any mix of entities).

    Raises
    ------
    FeedError
        If ``data`` is not a GTFS-Realtime FeedMessage.
    """
    message = pb.FeedMessage()
    try:
        message.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as error:
        raise FeedError(f"not a GTFS-Realtime FeedMessage ({len(data)} bytes): {error}") from None
    if not message.HasField("header") or not message.header.gtfs_realtime_version:
        raise FeedError("not a GTFS-Realtime FeedMessage: the header or its gtfs_realtime_version is missing")
    header_time = float(message.header.timestamp)
    rejections = Rejections()
    vehicles: list[VehiclePosition] = []
    updates: list[TripUpdate] = []
    alerts: list[Alert] = []
    for entity in message.entity:
        where = f"entity {entity.id!r}"
        if entity.is_deleted:
            continue
        kinds = [k for k in ("vehicle", "trip_update", "alert") if entity.HasField(k)]
        if not kinds:
            rejections.reject("entity without vehicle, trip_update or alert", where)
        if "vehicle" in kinds:
            _vehicle(entity, header_time, vehicles, rejections, where)
        if "trip_update" in kinds:
            _trip_update(entity, header_time, updates, rejections, where)
        if "alert" in kinds:
            alerts.append(_alert(entity))
    return RealtimeFeed(header_time, tuple(vehicles), tuple(updates), tuple(alerts), dict(rejections), dict(rejections.examples))


def decode_many(messages: Iterable[bytes]) -> RealtimeFeed:
    """Decode several messages into one feed; a message that does not decode is counted
    (``malformed protobuf``) and the others are kept.
    """
    rejections = Rejections()
    parts: list[RealtimeFeed] = []
    for number, data in enumerate(messages, start=1):
        try:
            parts.append(decode(data))
        except FeedError as error:
            rejections.reject("malformed protobuf", f"message {number}: {error}")
    for part in parts:
        rejections.update(part.rejected)
        for reason, where in part.examples.items():
            rejections.examples.setdefault(reason, where)
    return RealtimeFeed(
        max((p.timestamp for p in parts), default=0.0),
        tuple(v for p in parts for v in p.vehicles),
        tuple(u for p in parts for u in p.trip_updates),
        tuple(a for p in parts for a in p.alerts),
        dict(rejections),
        dict(rejections.examples),
    )


def encode_vehicle_positions(vehicles: Sequence[VehiclePosition], *, timestamp: float) -> bytes:
    """A FULL_DATASET FeedMessage of vehicle positions."""
    message = _message(timestamp)
    for vehicle in vehicles:
        entity = message.entity.add()
        entity.id = vehicle.vehicle_id
        vp = entity.vehicle
        if vehicle.trip_id:
            vp.trip.trip_id = vehicle.trip_id
            if vehicle.route_id:
                vp.trip.route_id = vehicle.route_id
            if vehicle.start_date:
                vp.trip.start_date = vehicle.start_date
        vp.vehicle.id = vehicle.vehicle_id
        if vehicle.label:
            vp.vehicle.label = vehicle.label
        vp.position.latitude = vehicle.lat
        vp.position.longitude = vehicle.lon
        if vehicle.bearing is not None:
            vp.position.bearing = vehicle.bearing
        if vehicle.speed_ms is not None:
            vp.position.speed = vehicle.speed_ms
        vp.timestamp = int(vehicle.timestamp)
        if vehicle.stop_id:
            vp.stop_id = vehicle.stop_id
        if vehicle.stop_sequence is not None:
            vp.current_stop_sequence = vehicle.stop_sequence
        if vehicle.status:
            vp.current_status = pb.VehiclePosition.VehicleStopStatus.Value(vehicle.status)
    return message.SerializeToString()


def encode_trip_updates(updates: Sequence[TripUpdate], *, timestamp: float) -> bytes:
    """A FULL_DATASET FeedMessage of trip updates."""
    message = _message(timestamp)
    for update in updates:
        entity = message.entity.add()
        entity.id = update.trip_id
        tu = entity.trip_update
        tu.trip.trip_id = update.trip_id
        if update.route_id:
            tu.trip.route_id = update.route_id
        if update.start_date:
            tu.trip.start_date = update.start_date
        if update.start_time:
            tu.trip.start_time = update.start_time
        tu.trip.schedule_relationship = pb.TripDescriptor.ScheduleRelationship.Value(update.relationship)
        if update.vehicle_id:
            tu.vehicle.id = update.vehicle_id
        tu.timestamp = int(update.timestamp)
        if update.delay_s is not None:
            tu.delay = int(round(update.delay_s))
        for stu in update.stop_time_updates:
            out = tu.stop_time_update.add()
            if stu.stop_sequence is not None:
                out.stop_sequence = stu.stop_sequence
            if stu.stop_id:
                out.stop_id = stu.stop_id
            if stu.skipped:
                out.schedule_relationship = pb.TripUpdate.StopTimeUpdate.SKIPPED
                continue
            for name, delay, time in (
                ("arrival", stu.arrival_delay_s, stu.arrival_time),
                ("departure", stu.departure_delay_s, stu.departure_time),
            ):
                if delay is None and time is None:
                    continue
                event = getattr(out, name)
                if delay is not None:
                    event.delay = int(round(delay))
                if time is not None:
                    event.time = int(round(time))
    return message.SerializeToString()


def encode_alerts(alerts: Sequence[Alert], *, timestamp: float) -> bytes:
    """A FULL_DATASET FeedMessage of service alerts."""
    message = _message(timestamp)
    for alert in alerts:
        entity = message.entity.add()
        entity.id = alert.alert_id
        out = entity.alert
        for start, end in alert.active_periods:
            period = out.active_period.add()
            if start is not None:
                period.start = int(start)
            if end is not None:
                period.end = int(end)
        for route in alert.route_ids:
            out.informed_entity.add().route_id = route
        for stop in alert.stop_ids:
            out.informed_entity.add().stop_id = stop
        for trip in alert.trip_ids:
            out.informed_entity.add().trip.trip_id = trip
        out.cause = pb.Alert.Cause.Value(alert.cause)
        out.effect = pb.Alert.Effect.Value(alert.effect)
        out.header_text.translation.add(text=alert.header, language="en")
        if alert.description:
            out.description_text.translation.add(text=alert.description, language="en")
        if alert.url:
            out.url.translation.add(text=alert.url, language="en")
    return message.SerializeToString()


# -- decoding helpers -------------------------------------------------------------------------
def _message(timestamp: float) -> pb.FeedMessage:
    message = pb.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = pb.FeedHeader.FULL_DATASET
    message.header.timestamp = int(timestamp)
    return message


def _vehicle(entity: pb.FeedEntity, header_time: float, out: list[VehiclePosition], rejections: Rejections, where: str) -> None:
    vp = entity.vehicle
    if not vp.HasField("position"):
        rejections.reject("vehicle without position", where)
        return
    lat, lon = vp.position.latitude, vp.position.longitude
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        rejections.reject("vehicle position out of range", where)
        return
    vehicle_id = vp.vehicle.id if vp.HasField("vehicle") and vp.vehicle.id else entity.id
    trip = vp.trip if vp.HasField("trip") else None
    out.append(
        VehiclePosition(
            vehicle_id=vehicle_id,
            lon=float(lon),
            lat=float(lat),
            timestamp=float(vp.timestamp or header_time),
            trip_id=(trip.trip_id or None) if trip else None,
            route_id=(trip.route_id or None) if trip else None,
            start_date=(trip.start_date or None) if trip else None,
            bearing=float(vp.position.bearing) if vp.position.HasField("bearing") else None,
            speed_ms=float(vp.position.speed) if vp.position.HasField("speed") else None,
            stop_id=vp.stop_id or None,
            stop_sequence=int(vp.current_stop_sequence) if vp.HasField("current_stop_sequence") else None,
            status=_STATUS.get(vp.current_status) if vp.HasField("current_status") else None,
            label=(vp.vehicle.label or None) if vp.HasField("vehicle") else None,
        )
    )


def _trip_update(entity: pb.FeedEntity, header_time: float, out: list[TripUpdate], rejections: Rejections, where: str) -> None:
    tu = entity.trip_update
    trip_id = tu.trip.trip_id
    if not trip_id:
        rejections.reject("trip update without trip_id", where)
        return
    calls = []
    for stu in tu.stop_time_update:
        if not stu.stop_id and not stu.HasField("stop_sequence"):
            rejections.reject("stop time update without stop_id or stop_sequence", where)
            continue
        arrival = stu.arrival if stu.HasField("arrival") else None
        departure = stu.departure if stu.HasField("departure") else None
        calls.append(
            StopTimeUpdate(
                stop_sequence=int(stu.stop_sequence) if stu.HasField("stop_sequence") else None,
                stop_id=stu.stop_id or None,
                arrival_delay_s=float(arrival.delay) if arrival is not None and arrival.HasField("delay") else None,
                arrival_time=float(arrival.time) if arrival is not None and arrival.HasField("time") else None,
                departure_delay_s=float(departure.delay) if departure is not None and departure.HasField("delay") else None,
                departure_time=float(departure.time) if departure is not None and departure.HasField("time") else None,
                skipped=_STOP_REL.get(stu.schedule_relationship) == "SKIPPED",
            )
        )
    out.append(
        TripUpdate(
            trip_id=trip_id,
            timestamp=float(tu.timestamp or header_time),
            route_id=tu.trip.route_id or None,
            start_date=tu.trip.start_date or None,
            start_time=tu.trip.start_time or None,
            relationship=_TRIP_REL.get(tu.trip.schedule_relationship, "SCHEDULED"),
            vehicle_id=(tu.vehicle.id or None) if tu.HasField("vehicle") else None,
            delay_s=float(tu.delay) if tu.HasField("delay") else None,
            stop_time_updates=tuple(calls),
        )
    )


def _alert(entity: pb.FeedEntity) -> Alert:
    alert = entity.alert
    return Alert(
        alert_id=entity.id,
        header=_text(alert.header_text),
        description=_text(alert.description_text),
        cause=_CAUSE.get(alert.cause, "UNKNOWN_CAUSE"),
        effect=_EFFECT.get(alert.effect, "UNKNOWN_EFFECT"),
        active_periods=tuple(
            (float(p.start) if p.HasField("start") else None, float(p.end) if p.HasField("end") else None)
            for p in alert.active_period
        ),
        route_ids=tuple(dict.fromkeys(e.route_id for e in alert.informed_entity if e.route_id)),
        stop_ids=tuple(dict.fromkeys(e.stop_id for e in alert.informed_entity if e.stop_id)),
        trip_ids=tuple(dict.fromkeys(e.trip.trip_id for e in alert.informed_entity if e.HasField("trip") and e.trip.trip_id)),
        url=_text(alert.url),
    )


def _text(translated: pb.TranslatedString) -> str:
    if not translated.translation:
        return ""
    english = [t.text for t in translated.translation if t.language in ("en", "")]
    return english[0] if english else translated.translation[0].text
