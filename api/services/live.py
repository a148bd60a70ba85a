"""Live workflows: feeds into the store, conditions, car and transit routing, the live twin."""

from __future__ import annotations

import json
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from api.services.scenarios import ensure_built
from its.conditions import Condition, ConditionsModel, Link, TimeOfDayProfile
from its.errors import FeedError, InputError, NoPathError
from its.feeds import detectors as _detectors
from its.feeds import probes as _probes
from its.feeds.readings import Batch, Reading, Rejections
from its.network import Network, read_network
from its.scenario import Scenario
from its.settings import Settings
from its.storage.repository import Store
from its.transit import StopTimeUpdate, Timetable, TripUpdate, VehiclePosition

if TYPE_CHECKING:
    import httpx

    from routing.graph import RoadGraph, Route
    from routing.matching import MapMatcher
    from routing.transit import Departure, Journey, TransitRouter
    from simulation.twin import TwinConfig, TwinFrame, TwinSummary

__all__ = [
    "IngestResult",
    "Place",
    "RoadAnswer",
    "TransitAnswer",
    "as_of",
    "conditions_model",
    "detector_edges",
    "fetch_gtfs_rt",
    "ingest_detectors",
    "ingest_gtfs_rt",
    "ingest_probes",
    "local_epoch",
    "next_departures",
    "open_store",
    "poll_gtfs_rt",
    "resolve_place",
    "route_car",
    "route_transit",
    "run_live_twin",
    "scenario_network",
    "scenario_timetable",
    "segment_conditions",
    "stored_trip_updates",
    "transit_router",
]


def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "stored": self.stored, "rejected": self.rejected, "examples": self.examples, **self.extra}


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did: readings accepted by the adapter, how many were new in the store
    (a reading sent twice is stored once), rejections per reason, and other stored items.
    """

    accepted: int
    stored: int
    rejected: dict[str, int]
    examples: dict[str, str] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "stored": self.stored, "rejected": self.rejected, "examples": self.examples, **self.extra}


def open_store(settings: Settings) -> Store:
    """The store at ``settings.database_url`` (SQLite by default), migrated to the latest schema."""
    return Store(settings.database_url)


def scenario_network(scenario: Scenario) -> Network:
    """The road network of a built scenario."""
    from simulation._sumocfg import read_sumocfg

    ensure_built(scenario)
    net = read_sumocfg(scenario.sumocfg).net
    stat = net.stat()
    return _network(net, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _network(path: Path, _mtime: int) -> Network:
    return read_network(path)


def detector_lanes(scenario: Scenario) -> dict[str, str]:
    """Detector id → lane of the scenario's induction loops (its layout, or the built default)."""
    from simulation.detectors import read_loops

    candidates = [scenario.detectors] if scenario.detectors else []
    candidates.append(scenario.sumocfg.parent / "detectors.add.xml")
    for path in candidates:
        if path is not None and path.is_file():
            return {loop.loop_id: loop.lane for loop in read_loops(path)}
    return {}


def detector_edges(scenario: Scenario) -> dict[str, str]:
    """Detector id → edge of the scenario's induction loops (see :func:`detector_lanes`)."""
    return {loop_id: lane.rpartition("_")[0] for loop_id, lane in detector_lanes(scenario).items()}


_MATCHERS: dict[int, tuple[Network, MapMatcher]] = {}


def _matcher(network: Network) -> MapMatcher:
    """One map matcher per network object (building one reads the network's spatial index)."""
    from routing.matching import MapMatcher

    cached = _MATCHERS.get(id(network))
    if cached is None or cached[0] is not network:
        if len(_MATCHERS) >= 4:
            _MATCHERS.clear()
        cached = _MATCHERS[id(network)] = (network, MapMatcher(network))
    return cached[1]


def _store_batch(store: Store, batch: Batch, model: ConditionsModel | None) -> int:
    stored = store.add_readings(batch.readings)
    if model is not None:
        model.observe(batch.readings)
    return stored


def ingest_detectors(
    store: Store,
    data: bytes | str,
    *,
    fmt: str,
    feed: str = "field",
    detector_edges: dict[str, str] | None = None,
    tz: str = "UTC",
    model: ConditionsModel | None = None,
) -> IngestResult:
    """Parse a detector batch (``json``, ``csv`` or ``pems``) and store its good readings.

    Raises
    ------
    InputError
        On an unknown format.
    FeedError
        If nothing in the batch can be read.
    """
    if fmt == "json":
        batch = _detectors.from_json(data, feed=feed, detector_edges=detector_edges, tz=tz)
    elif fmt == "csv":
        batch = _detectors.from_csv(data, feed=feed, detector_edges=detector_edges, tz=tz)
    elif fmt == "pems":
        batch = _detectors.from_pems(data, feed=feed, detector_edges=detector_edges)
    else:
        raise InputError(f"unknown detector format {fmt!r}; use json, csv or pems")
    stored = _store_batch(store, batch, model)
    return IngestResult(len(batch.readings), stored, dict(batch.rejected), dict(batch.examples))


def ingest_probes(
    store: Store,
    data: bytes | str,
    *,
    fmt: str,
    network: Network,
    feed: str = "probes",
    tz: str = "UTC",
    model: ConditionsModel | None = None,
) -> IngestResult:
    """Parse probe points (``json`` or ``csv``), pseudonymise, map-match and store them."""
    pseudonymise = _probes.Pseudonymiser(store.day_key)
    if fmt == "json":
        points, rejections = _probes.parse_json(data, pseudonymise=pseudonymise, tz=tz)
    elif fmt == "csv":
        points, rejections = _probes.parse_csv(data, pseudonymise=pseudonymise, tz=tz)
    else:
        raise InputError(f"unknown probe format {fmt!r}; use json or csv")
    batch = _probes.track_readings(points, _matcher(network), feed=feed, rejections=rejections)
    stored = _store_batch(store, batch, model)
    return IngestResult(len(batch.readings), stored, dict(batch.rejected), dict(batch.examples))


def ingest_gtfs_rt(
    store: Store,
    messages: Sequence[bytes],
    *,
    network: Network | None = None,
    feed: str = "gtfs-rt",
    model: ConditionsModel | None = None,
) -> IngestResult:
    """Decode GTFS-Realtime messages: vehicle positions become (map-matched, when a network
    is given) transit readings; trip updates and alerts are kept as the latest per entity.
    """
    from gtfs.realtime import decode_many

    decoded = decode_many(messages)
    rejections = Rejections()
    rejections.update(decoded.rejected)
    rejections.examples.update(decoded.examples)
    points = [
        _probes.ProbePoint(v.vehicle_id, v.timestamp, v.lon, v.lat, v.speed_ms, v.bearing) for v in decoded.vehicles
    ]
    if network is not None and network.projection.geographic:
        batch = _probes.track_readings(points, _matcher(network), feed=feed, kind="transit", rejections=rejections)
    else:
        batch = Batch.of(
            (Reading(feed, "transit", p.vehicle, p.time, speed_ms=p.speed_ms, lon=p.lon, lat=p.lat) for p in points), rejections
        )
    stored = _store_batch(store, batch, model)
    updates = store.put_realtime("trip_update", decoded.trip_updates, id_field="trip_id")
    alerts = store.put_realtime("alert", decoded.alerts, id_field="alert_id")
    return IngestResult(
        len(batch.readings), stored, dict(batch.rejected), dict(batch.examples),
        {"vehicles": len(decoded.vehicles), "trip_updates": updates, "alerts": alerts},
    )  # fmt: skip


def fetch_gtfs_rt(client: httpx.Client, url: str) -> bytes:
    """One GTFS-Realtime message from a URL (``gtfs._fetch``)."""
    from gtfs._fetch import fetch

    return fetch(client, url)


def poll_gtfs_rt(
    store: Store,
    client: httpx.Client,
    url: str,
    *,
    interval_s: float = 30.0,
    rounds: int | None = None,
    stop: threading.Event | None = None,
    network: Network | None = None,
    feed: str = "gtfs-rt",
    on_result: Callable[[IngestResult], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> int:
    """Pull a GTFS-Realtime URL every ``interval_s`` seconds into the store (until ``stop`` is
    set or after ``rounds`` fetches); a failed fetch or a malformed message is reported to
    ``on_error`` and polling goes on. Returns the number of messages ingested.
    """
    from gtfs._fetch import poll

    def handle(data: bytes) -> None:
        result = ingest_gtfs_rt(store, [data], network=network, feed=feed)
        if result.rejected.get("malformed protobuf") and on_error is not None:
            on_error(FeedError(f"{url}: malformed protobuf ({result.examples.get('malformed protobuf', '')})"))
        if on_result is not None:
            on_result(result)

    return poll(client, url, handle, interval_s=interval_s, rounds=rounds, stop=stop, on_error=on_error)


def stored_trip_updates(store: Store) -> list[TripUpdate]:
    """The latest trip update of every trip, from the store."""
    out = []
    for raw in store.realtime("trip_update"):
        raw["stop_time_updates"] = tuple(StopTimeUpdate(**s) for s in raw.get("stop_time_updates", ()))
        out.append(TripUpdate(**raw))
    return out


# -- conditions -------------------------------------------------------------------------------
def conditions_model(
    store: Store,
    settings: Settings,
    *,
    network: Network | None = None,
    now: float | None = None,
    lookback_s: float = 3600.0,
) -> ConditionsModel:
    """A conditions model from the stored history (profiles) and the recent readings."""
    links = {}
    if network is not None:
        links = {e.edge_id: Link(e.edge_id, e.length, e.speed, e.name) for e in network.edges.values()}
    profile = store.load_profile(TimeOfDayProfile(tz=settings.timezone))
    model = ConditionsModel(links, profile=profile)
    at = now if now is not None else as_of(store)
    model.observe(store.readings(since=at - lookback_s, until=at + 1e-6), history=False)
    return model


def as_of(store: Store) -> float:
    """"Now" for conditions: the wall clock, or the latest reading when the data are a replay
    or an accelerated twin (readings ahead of the clock, or none in the last hour).
    """
    wall = time.time()
    latest = store.latest_reading_time()
    if latest is None or wall - 3600.0 <= latest <= wall:
        return wall
    return float(latest)


def segment_conditions(model: ConditionsModel, network: Network, now: float) -> list[Condition]:
    """Conditions per named road and direction (``Main Street eastbound``): the edges sharing
    a name and a compass heading, for roads with readings on at least one of them.
    """
    by_name: dict[str, list[str]] = {}
    for edge in network.edges.values():
        if edge.name and len(edge.shape) > 1:
            (x0, y0), (x1, y1) = edge.shape[0], edge.shape[-1]
            bearing = math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0
            heading = ("northbound", "eastbound", "southbound", "westbound")[int(((bearing + 45.0) % 360.0) // 90.0)]
            by_name.setdefault(f"{edge.name} {heading}", []).append(edge.edge_id)
    observed = set(model.observed_links())
    return [model.segment(name, edges, now) for name, edges in sorted(by_name.items()) if observed & set(edges)]


def local_epoch(settings: Settings, day: date | None = None) -> float:
    """Unix time of local midnight (``settings.timezone``) of ``day`` (default today)."""
    zone = ZoneInfo(settings.timezone)
    day = day or datetime.now(zone).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


# -- places and routes ------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """A resolved FROM/TO: a WGS84 point, and the stop it names (if it named one)."""

    text: str
    lon: float
    lat: float
    stop_id: str | None = None
    label: str = ""


def resolve_place(text: str, network: Network, timetable: Timetable | None = None) -> Place:
    """``lon,lat``, a stop id or name, a street name, or a junction id, as a point.

    Raises
    ------
    InputError
        If the text is none of these (the message lists a few names that exist).
    """
    cleaned = text.strip()
    parts = cleaned.split(",")
    if len(parts) == 2:
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputError(f"{text!r}: longitude must be in [-180, 180] and latitude in [-90, 90]")
            return Place(text, lon, lat, label=f"{lon:.5f},{lat:.5f}")
    wanted = cleaned.casefold()
    if timetable is not None:
        for stop in timetable.stops:
            if stop.stop_id.casefold() == wanted or stop.name.casefold() == wanted:
                return Place(text, stop.lon, stop.lat, stop.stop_id if stop.location_type == 0 else None, stop.name)
    streets = [e for e in network.edges.values() if e.name and e.name.casefold() == wanted]
    if streets and network.projection.geographic:
        edge = max(streets, key=lambda e: e.length)
        x, y = edge.shape[len(edge.shape) // 2]
        lon, lat = network.projection.lonlat(x, y)
        return Place(text, float(lon), float(lat), label=edge.name)
    junction = network.junctions.get(cleaned)
    if junction is not None and network.projection.geographic:
        lon, lat = network.projection.lonlat(junction.x, junction.y)
        return Place(text, float(lon), float(lat), label=f"junction {junction.junction_id}")
    names = sorted({s.name for s in (timetable.stops if timetable else ())} | {e.name for e in network.edges.values() if e.name})
    hint = f"; e.g. {', '.join(names[:5])}" if names else ""
    raise InputError(f"{text!r} is not lon,lat, a stop, a street or a junction of this scenario{hint}")


@dataclass(frozen=True)
class RoadAnswer:
    origin: Place
    destination: Place
    depart: float
    routes: tuple[Route, ...]
    arrivals: tuple[float, ...]
    live_edges: int

    def to_json(self, epoch: float) -> dict[str, Any]:
        return {
            "mode": "car",
            "from": self.origin.label or self.origin.text,
            "to": self.destination.label or self.destination.text,
            "depart": _clock(self.depart - epoch),
            "live_edges": self.live_edges,
            "routes": [
                {**r.to_json(), "arrive": _clock(a - epoch), "duration_s": round(a - self.depart, 1)}
                for r, a in zip(self.routes, self.arrivals, strict=True)
            ],
        }


def _road_graph(network: Network) -> RoadGraph:
    from routing.graph import RoadGraph

    return RoadGraph.from_network(network)


def route_car(
    network: Network,
    origin: Place,
    destination: Place,
    *,
    depart: float,
    model: ConditionsModel | None = None,
    now: float | None = None,
    k: int = 3,
) -> RoadAnswer:
    """Fastest and alternative car routes between two points with an ETA each.

    Travel times are the live conditions at ``now``; for a departure more than 15 minutes
    ahead, the forecast at that time; the ETA is accumulated edge by edge with the forecast
    at the time each edge is entered.
    """
    graph = _road_graph(network)
    matcher = _matcher(network)
    now = depart if now is None else now
    live = 0
    time_at = None
    if model is not None:
        horizon = max(0.0, depart - now)
        if horizon <= 900:
            times = model.travel_times(now)
        else:
            times = {}
            for link in model.observed_links():
                speed = model.forecast_speed(link, now, horizon)
                edge = network.edges.get(link)
                if speed and edge is not None:
                    times[link] = edge.length / max(speed, 0.3)
        live = graph.set_travel_times({e: t for e, t in times.items() if t > 0})

        def time_at(edge: str, t: float) -> float:
            base = float(graph.weights[graph.index[edge]])
            if edge not in times or t - now <= 900:
                return base
            speed = model.forecast_speed(edge, now, t - now)
            return network.edges[edge].length / max(speed, 0.3) if speed else base

    start = _snap(matcher, origin, "origin")
    end = _snap(matcher, destination, "destination")
    best: list[Route] | None = None
    for a in start:
        for b in end:
            try:
                routes = graph.alternatives_between_edges(a.edge, a.offset_m, b.edge, b.offset_m, k=k)
            except NoPathError:
                continue
            if best is None or routes[0].travel_time_s < best[0].travel_time_s:
                best = routes
    if best is None:
        raise NoPathError(f"no road route from {origin.text!r} to {destination.text!r}")
    arrivals = tuple(graph.eta(r, depart, time_at) if time_at else depart + r.travel_time_s for r in best)
    return RoadAnswer(origin, destination, depart, tuple(best), arrivals, live)


def _snap(matcher: MapMatcher, place: Place, role: str) -> list[Any]:
    x, y = matcher.xy([_probes.ProbePoint("_", 0.0, place.lon, place.lat)])[0]
    found = sorted(matcher.candidates(float(x), float(y)), key=lambda c: c.distance_m)
    if not found:
        for radius in (150.0, 500.0):
            saved = matcher.radius_m
            matcher.radius_m = radius
            try:
                found = sorted(matcher.candidates(float(x), float(y)), key=lambda c: c.distance_m)
            finally:
                matcher.radius_m = saved
            if found:
                break
    if not found:
        raise NoPathError(f"the {role} {place.text!r} is more than 500 m from any road of the network")
    nearest = found[0].distance_m
    return [c for c in found if c.distance_m <= nearest + 5.0][:4]


def scenario_timetable(scenario: Scenario) -> Timetable:
    """The scenario's published bus timetable: its GTFS feed (the one its SUMO buses follow)."""
    ensure_built(scenario)
    if scenario.gtfs is None or not scenario.gtfs.exists():
        raise InputError(f"scenario {scenario.name!r} has no GTFS feed (set gtfs = ... in its scenario.toml)")
    newest = max((p.stat().st_mtime_ns for p in scenario.gtfs.iterdir()), default=0) if scenario.gtfs.is_dir() else scenario.gtfs.stat().st_mtime_ns
    return _timetable(scenario.gtfs, newest)


@lru_cache(maxsize=4)
def _timetable(feed: Path, _version: int) -> Timetable:
    from gtfs.read import read_feed, timetable_of

    return timetable_of(read_feed(feed))


@dataclass(frozen=True)
class TransitAnswer:
    origin: Place
    destination: Place
    depart_s: float
    journeys: tuple[Journey, ...]
    updates_used: int

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": "transit",
            "from": self.origin.label or self.origin.text,
            "to": self.destination.label or self.destination.text,
            "depart": _clock(self.depart_s),
            "realtime_trips": self.updates_used,
            "journeys": [
                {
                    "depart": _clock(j.depart_s),
                    "arrive": _clock(j.arrive_s),
                    "duration_s": round(j.arrive_s - j.depart_s, 1),
                    "transfers": j.transfers,
                    "legs": [
                        {"mode": leg.mode, "from": leg.from_stop, "to": leg.to_stop, "depart": _clock(leg.depart_s),
                         "arrive": _clock(leg.arrive_s), "trip": leg.trip_id, "route": leg.route_id,
                         "delay_s": round(leg.delay_s, 1)}
                        for leg in j.legs
                    ],
                }  # fmt: skip
                for j in self.journeys
            ],
        }


def transit_router(timetable: Timetable, *, day: date | None = None) -> TransitRouter:
    from routing.transit import TransitRouter

    return TransitRouter(timetable, service_date=day)


def route_transit(
    timetable: Timetable,
    origin: Place,
    destination: Place,
    *,
    depart_s: float,
    updates: Sequence[TripUpdate] = (),
    service_day_start: float = 0.0,
    day: date | None = None,
) -> TransitAnswer:
    """Transit journeys (Pareto: earliest arrival per number of rides), earliest first, with
    real-time delays.
    """
    router = transit_router(timetable, day=day)
    used = router.apply_updates(updates, service_day_start=service_day_start) if updates else 0
    start = origin.stop_id or (origin.lon, origin.lat)
    end = destination.stop_id or (destination.lon, destination.lat)
    journeys = sorted(router.journeys(start, end, depart_s), key=lambda j: (j.arrive_s, j.rides))
    return TransitAnswer(origin, destination, depart_s, tuple(journeys), used)


def next_departures(
    timetable: Timetable,
    stop: str,
    *,
    after_s: float,
    updates: Sequence[TripUpdate] = (),
    service_day_start: float = 0.0,
    day: date | None = None,
    limit: int = 10,
) -> list[Departure]:
    """The next departures from a stop (id or name; a station lists all its platforms),
    with real-time delays from the trip updates.

    Raises
    ------
    NoPathError
        If the stop is not in the timetable.
    """
    router = transit_router(timetable, day=day)
    if updates:
        router.apply_updates(updates, service_day_start=service_day_start)
    wanted = stop.casefold()
    named = next((s.stop_id for s in timetable.stops if s.stop_id == stop or s.name.casefold() == wanted), stop)
    return router.departures(named, after_s, limit=limit)


def _clock(seconds: float) -> str:
    from its.units import clock

    return clock(seconds) if math.isfinite(seconds) else "-"


# -- the live twin ----------------------------------------------------------------------------
def run_live_twin(
    scenario: Scenario,
    config: TwinConfig,
    store: Store,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    stop: threading.Event | None = None,
    on_frame: Callable[[TwinFrame, dict[str, int]], None] | None = None,
    model: ConditionsModel | None = None,
    inbox: queue.Queue[Any] | None = None,
    on_deployed: Callable[[float, Any], None] | None = None,
) -> TwinSummary:
    """Run the twin and pass everything it emits through the real adapters into the store.

    Controllers put in ``inbox`` join the running simulation: a plan from
    :func:`api.services.signals.plan_switch` is swapped in at the next cycle boundary, and
    ``on_deployed(sim_time, records)`` hears when it is in.

    Detector rows go through :func:`its.feeds.detectors.from_rows`, probe fixes through
    pseudonymisation and map matching, and the buses are encoded as GTFS-Realtime
    VehiclePositions and TripUpdates (written to ``out_dir`` as ``vehiclepositions.pb`` and
    ``tripupdates.pb`` when given) and ingested from those very bytes. Times become Unix
    times of today (local midnight + simulation seconds). Conditions snapshots are kept in
    the history once per detector period.
    """
    from gtfs.realtime import encode_trip_updates, encode_vehicle_positions
    from simulation.twin import run_twin

    network = scenario_network(scenario)
    loops = detector_edges(scenario)
    matcher = _matcher(network)
    timetable = scenario_timetable(scenario) if scenario.build and scenario.build.transit else None
    scheduled = {t.trip_id: t for t in timetable.trips} if timetable else {}
    route_of = {t.trip_id: t.route_id for t in timetable.trips} if timetable else {}
    epoch = local_epoch(settings)
    model = model or conditions_model(store, settings, network=network, now=epoch + (config.begin or scenario.begin or 0.0))
    pseudonymise = _probes.Pseudonymiser(store.day_key)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    totals = {"stored": 0, "rejected": 0, "trip_updates": 0}
    last_snapshot = [-math.inf]

    def handle(frame: TwinFrame) -> None:
        now = epoch + frame.sim_time
        rows = [{**row, "time": epoch + row["time"]} for row in frame.detectors]
        batch = _detectors.from_rows(rows, feed="twin", detector_edges=loops)
        points, rejections = _probes.parse_rows(
            [{**row, "time": epoch + row["time"]} for row in frame.probes], pseudonymise=pseudonymise
        )
        probes = _probes.track_readings(points, matcher, feed="twin", rejections=rejections)
        stored = store.add_readings(batch.readings + probes.readings)
        model.observe(batch.readings + probes.readings)
        totals["stored"] += stored
        totals["rejected"] += batch.rejected_total + probes.rejected_total
        if frame.buses:
            vehicles = [
                VehiclePosition(b.vehicle_id, b.lon, b.lat, now, trip_id=b.trip_id, route_id=route_of.get(b.trip_id),
                                bearing=b.heading_deg, speed_ms=b.speed_ms, stop_id=b.next_stop, label=b.line)
                for b in frame.buses
            ]  # fmt: skip
            updates = [_bus_update(b, scheduled.get(b.trip_id), now, epoch) for b in frame.buses]
            positions = encode_vehicle_positions(vehicles, timestamp=now)
            trip_updates = encode_trip_updates(updates, timestamp=now)
            if out_dir is not None:
                _write_atomic(out_dir / "vehiclepositions.pb", positions)
                _write_atomic(out_dir / "tripupdates.pb", trip_updates)
            result = ingest_gtfs_rt(store, [positions, trip_updates], network=network, feed="twin-gtfs-rt", model=model)
            totals["stored"] += result.stored
            totals["trip_updates"] += result.extra.get("trip_updates", 0)
        if frame.detectors and now - last_snapshot[0] >= config.detector_period_s - 1e-6:
            store.add_conditions(now, model.conditions(now).values())
            last_snapshot[0] = now
        if on_frame is not None:
            on_frame(frame, dict(totals))

    summary = run_twin(scenario, config, handle, stop=stop, inbox=inbox, on_deployed=on_deployed)
    store.save_profile(model.profile)
    if out_dir is not None:
        (out_dir / "twin.json").write_text(json.dumps({**summary.counts, **totals, "frames": summary.frames}, indent=2) + "\n")
    return summary


def _bus_update(bus: Any, trip: Any, now: float, epoch: float) -> TripUpdate:
    """A trip update for a twin bus: the delay at the last stop it served, against the timetable."""
    updates: tuple[StopTimeUpdate, ...] = ()
    delay = None
    if trip is not None and bus.last_stop is not None:
        for sequence, call in enumerate(trip.stop_times, start=1):
            if call.stop_id == bus.last_stop:
                arrival = None if bus.last_arrival_s is None else bus.last_arrival_s - call.arrival_s
                departure = None if bus.last_departure_s is None else bus.last_departure_s - call.departure_s
                delay = departure if departure is not None else arrival
                updates = (StopTimeUpdate(sequence, call.stop_id, arrival_delay_s=arrival, departure_delay_s=departure),)
                break
    return TripUpdate(bus.trip_id, now, route_id=trip.route_id if trip else None, vehicle_id=bus.vehicle_id, delay_s=delay, stop_time_updates=updates)


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)
