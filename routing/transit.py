"""Transit journeys over a timetable: RAPTOR (Delling, Pajor and Werneck, 2012) with walking
to, from and between stops, and real-time delays from GTFS-Realtime trip updates.

The timetable's trips are grouped into patterns (trips with the same stop sequence), each a
table of arrival and departure times; round *k* of the search finds the earliest arrival at
every stop with *k* vehicles, so the answer is the set of journeys that are best for their
number of transfers. Times are seconds after midnight of the service day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from its.errors import InputError, NoPathError
from its.transit import Stop, Timetable, Trip, TripUpdate

__all__ = ["Departure", "Journey", "Leg", "TransitRouter", "haversine_m"]

_INF = math.inf


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance between two WGS84 points, metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Leg:
    """One leg: ``walk`` (between places or stops) or ``ride`` (on ``trip_id``), with its
    departure and arrival in seconds after midnight; ``delay_s`` is the real-time delay at
    boarding for a ride.
    """

    mode: str
    depart_s: float
    arrive_s: float
    from_stop: str | None = None
    to_stop: str | None = None
    trip_id: str | None = None
    route_id: str | None = None
    headsign: str = ""
    delay_s: float = 0.0


@dataclass(frozen=True)
class Journey:
    legs: tuple[Leg, ...]

    @property
    def depart_s(self) -> float:
        return self.legs[0].depart_s

    @property
    def arrive_s(self) -> float:
        return self.legs[-1].arrive_s

    @property
    def rides(self) -> int:
        return sum(leg.mode == "ride" for leg in self.legs)

    @property
    def transfers(self) -> int:
        return max(0, self.rides - 1)


@dataclass(frozen=True)
class Departure:
    """A departure from a stop: scheduled and expected time (seconds after midnight) and the
    real-time delay (0 without an update).
    """

    stop_id: str
    trip_id: str
    route_id: str
    headsign: str
    scheduled_s: float
    expected_s: float
    delay_s: float


@dataclass
class _Pattern:
    stops: tuple[int, ...]
    trips: list[Trip]
    arrivals: np.ndarray  # trips x stops
    departures: np.ndarray
    delays: np.ndarray


class TransitRouter:
    """Journey planner over one timetable (optionally limited to one service date).

    Parameters
    ----------
    timetable
        The static timetable.
    service_date
        Only trips running on this date (by their calendar) are used; None uses all.
    walk_speed_ms
        Walking speed, m/s.
    max_transfer_m
        Stops closer than this are linked by walking transfers, metres (straight line
        times ``detour``).
    detour
        Street distance over straight-line distance for walking.
    min_transfer_s
        Time to change vehicles at the same stop, seconds.
    """

    def __init__(
        self,
        timetable: Timetable,
        *,
        service_date: date | None = None,
        walk_speed_ms: float = 1.3,
        max_transfer_m: float = 400.0,
        detour: float = 1.3,
        min_transfer_s: float = 60.0,
    ) -> None:
        if walk_speed_ms <= 0:
            raise InputError("walking speed must be positive")
        self.timetable = timetable
        self.walk_speed_ms = walk_speed_ms
        self.detour = detour
        self.min_transfer_s = min_transfer_s
        self.stops: tuple[Stop, ...] = tuple(s for s in timetable.stops if s.location_type == 0)
        self.stop_index = {s.stop_id: i for i, s in enumerate(self.stops)}
        self._lon = np.array([s.lon for s in self.stops])
        self._lat = np.array([s.lat for s in self.stops])
        active = _active_services(timetable, service_date)
        trips = [t for t in timetable.trips if active is None or t.service_id in active]
        self._trips_by_id = {t.trip_id: t for t in timetable.trips}
        self._patterns: list[_Pattern] = []
        self._build_patterns(trips, {})
        self.footpaths: list[list[tuple[int, float]]] = [[] for _ in self.stops]
        for i in range(len(self.stops)):
            distances = self._distances_from(self._lon[i], self._lat[i])
            for j in np.nonzero(distances <= max_transfer_m)[0]:
                if j != i:
                    self.footpaths[i].append((int(j), float(max(self.min_transfer_s, distances[j] * detour / walk_speed_ms))))

    # -- real time ------------------------------------------------------------------------------
    def apply_updates(self, updates: Iterable[TripUpdate], *, service_day_start: float) -> int:
        """Use these real-time trip updates (replacing earlier ones); returns how many trips
        they changed.

        Delays (or absolute times, Unix seconds, turned into the timetable's clock with
        ``service_day_start``, the Unix time of the service day's midnight) propagate along
        the trip until the next update, as GTFS-Realtime prescribes; a skipped stop cannot be
        used; a CANCELED trip is removed; an ADDED trip with absolute times at known stops
        becomes a trip of its own.
        """
        by_trip = {u.trip_id: u for u in updates}
        trips = [t for t in self._all_trips() if not (t.trip_id in by_trip and by_trip[t.trip_id].relationship == "CANCELED")]
        known = {t.trip_id for t in trips}
        for update in by_trip.values():
            if update.relationship == "ADDED" and update.trip_id not in known:
                added = _added_trip(update, service_day_start, self.stop_index)
                if added is not None:
                    trips.append(added)
        self._build_patterns(trips, {k: (u, service_day_start) for k, u in by_trip.items()})
        return sum(1 for t in trips if t.trip_id in by_trip)

    # -- queries --------------------------------------------------------------------------------
    def stops_near(self, lon: float, lat: float, radius_m: float) -> list[tuple[str, float]]:
        """Stops within ``radius_m`` of a point, with their straight-line distance, nearest first."""
        distances = self._distances_from(lon, lat)
        chosen = np.nonzero(distances <= radius_m)[0]
        return sorted(((self.stops[i].stop_id, float(distances[i])) for i in chosen), key=lambda p: p[1])

    def journeys(
        self,
        origin: tuple[float, float] | str,
        destination: tuple[float, float] | str,
        depart_s: float,
        *,
        max_rides: int = 5,
        max_walk_m: float = 800.0,
    ) -> list[Journey]:
        """The Pareto-best journeys: earliest arrival for each number of rides (fewest first).

        ``origin`` and ``destination`` are a stop id or a (lon, lat) point; from a point the
        traveller walks to any stop within ``max_walk_m``. A walk-only journey is included
        when it is no slower.

        Raises
        ------
        NoPathError
            If no journey reaches the destination (no stop in walking distance, or no service).
        """
        sources = self._access(origin, max_walk_m, "origin")
        targets = dict(self._access(destination, max_walk_m, "destination"))
        n = len(self.stops)
        best = np.full(n, _INF)
        rounds: list[np.ndarray] = [np.full(n, _INF)]
        labels: list[dict[int, tuple]] = [{}]
        for stop, walk in sources:
            t = depart_s + walk
            if t < rounds[0][stop]:
                rounds[0][stop] = best[stop] = t
                labels[0][stop] = ("origin", walk)
        marked = {s for s, _ in sources}
        found: list[Journey] = []
        direct = self._direct_walk(origin, destination, max_walk_m)
        target_best = _INF if direct is None else depart_s + direct
        if direct is not None:
            found.append(Journey((Leg("walk", depart_s, depart_s + direct),)))
        stop_pattern = self._stop_patterns
        for k in range(1, max_rides + 1):
            tau = rounds[k - 1].copy()
            label: dict[int, tuple] = {}
            queue: dict[int, int] = {}
            for stop in marked:
                for p, position in stop_pattern[stop]:
                    if p not in queue or position < queue[p]:
                        queue[p] = position
            newly: set[int] = set()
            previous = rounds[k - 1]
            for p, first in queue.items():
                pattern = self._patterns[p]
                trip = -1
                board = -1
                for i in range(first, len(pattern.stops)):
                    stop = pattern.stops[i]
                    if trip >= 0:
                        arrival = pattern.arrivals[trip, i]
                        if arrival < min(best[stop], target_best) and np.isfinite(arrival):
                            tau[stop] = best[stop] = arrival
                            label[stop] = ("ride", p, trip, board, i)
                            newly.add(stop)
                    ready = previous[stop]
                    if ready < _INF and (trip < 0 or ready <= pattern.departures[trip, i]):
                        candidate = _earliest(pattern.departures[:, i], ready)
                        if candidate >= 0 and (trip < 0 or pattern.departures[candidate, i] < pattern.departures[trip, i]):
                            trip, board = candidate, i
            for stop in list(newly):  # walking transfers from stops just reached by a ride
                for other, walk in self.footpaths[stop]:
                    t = tau[stop] + walk
                    if t < min(best[other], target_best) and t < tau[other]:
                        tau[other] = best[other] = t
                        label[other] = ("walk", stop, walk)
                        newly.add(other)
            rounds.append(tau)
            labels.append(label)
            if not newly:
                break
            marked = newly
            arrival, end_stop = min(((tau[s] + w, s) for s, w in targets.items() if s in label), default=(_INF, -1))
            if end_stop >= 0 and arrival < target_best:
                target_best = arrival
                found.append(self._journey(rounds, labels, k, end_stop, targets[end_stop], depart_s))
        if not found:
            raise NoPathError(f"no transit journey from {origin!r} to {destination!r} departing at {depart_s:g} s")
        return found

    def journey(
        self,
        origin: tuple[float, float] | str,
        destination: tuple[float, float] | str,
        depart_s: float,
        *,
        max_rides: int = 5,
        max_walk_m: float = 800.0,
    ) -> Journey:
        """The earliest-arriving journey (fewest rides among equals)."""
        found = self.journeys(origin, destination, depart_s, max_rides=max_rides, max_walk_m=max_walk_m)
        return min(found, key=lambda j: (j.arrive_s, j.rides))

    def departures(self, stop: str, after_s: float, *, limit: int = 10) -> list[Departure]:
        """The next departures from a stop (or the platforms of a station) at or after
        ``after_s``, by expected time, real-time delays included; the last call of a trip is
        not a departure.
        """
        stops = {index for index, _ in self._access(stop, 0.0, "stop")}
        found: list[Departure] = []
        for pattern in self._patterns:
            for position, index in enumerate(pattern.stops[:-1]):
                if index not in stops:
                    continue
                expected = pattern.departures[:, position]
                for row in np.nonzero(np.isfinite(expected) & (expected >= after_s))[0]:
                    trip = pattern.trips[row]
                    scheduled = trip.stop_times[position].departure_s
                    found.append(
                        Departure(self.stops[index].stop_id, trip.trip_id, trip.route_id, trip.headsign, scheduled,
                                  float(expected[row]), float(expected[row] - scheduled))
                    )  # fmt: skip
        found.sort(key=lambda d: (d.expected_s, d.trip_id))
        return found[:limit]

    # -- internals ------------------------------------------------------------------------------
    def _distances_from(self, lon: float, lat: float) -> np.ndarray:
        p1 = np.radians(lat)
        p2 = np.radians(self._lat)
        a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(self._lon - lon) / 2) ** 2
        return 2 * 6_371_000.0 * np.arcsin(np.minimum(1.0, np.sqrt(a)))

    def _access(self, place: tuple[float, float] | str, max_walk_m: float, role: str) -> list[tuple[int, float]]:
        if isinstance(place, str):
            if place not in self.stop_index:
                children = [s.stop_id for s in self.stops if s.parent_station == place]
                if not children:
                    raise NoPathError(f"{role} stop {place!r} is not in the timetable")
                return [(self.stop_index[c], 0.0) for c in children]
            return [(self.stop_index[place], 0.0)]
        lon, lat = place
        near = self.stops_near(lon, lat, max_walk_m / self.detour)
        if not near:
            raise NoPathError(f"no stop within {max_walk_m:g} m walking of the {role} ({lon:.5f}, {lat:.5f})")
        return [(self.stop_index[s], d * self.detour / self.walk_speed_ms) for s, d in near]

    def _direct_walk(self, origin: object, destination: object, max_walk_m: float) -> float | None:
        def point(place: object) -> tuple[float, float]:
            if isinstance(place, str):
                stop = self.stops[self._access(place, max_walk_m, "place")[0][0]]
                return stop.lon, stop.lat
            return place  # type: ignore[return-value]

        (lo1, la1), (lo2, la2) = point(origin), point(destination)
        metres = haversine_m(lo1, la1, lo2, la2) * self.detour
        return metres / self.walk_speed_ms if metres <= 2 * max_walk_m else None

    def _journey(
        self, rounds: list[np.ndarray], labels: list[dict[int, tuple]], k: int, stop: int, egress_s: float, depart_s: float
    ) -> Journey:
        legs: list[Leg] = []
        end_stop = self.stops[stop].stop_id
        end_arrival = float(rounds[k][stop])
        while True:
            label = labels[k].get(stop)
            while label is None and k > 0:  # reached in an earlier round and kept since
                k -= 1
                label = labels[k].get(stop)
            if label is None or label[0] == "origin":
                walk = label[1] if label is not None else 0.0
                if walk > 0:
                    legs.append(Leg("walk", depart_s, depart_s + walk, to_stop=self.stops[stop].stop_id))
                break
            if label[0] == "walk":
                _, previous, walk = label
                arrive = float(rounds[k][stop])
                legs.append(Leg("walk", arrive - walk, arrive, self.stops[previous].stop_id, self.stops[stop].stop_id))
                stop = previous
                continue
            _, p, trip, board, alight = label
            pattern = self._patterns[p]
            t = pattern.trips[trip]
            legs.append(
                Leg(
                    "ride",
                    float(pattern.departures[trip, board]),
                    float(pattern.arrivals[trip, alight]),
                    self.stops[pattern.stops[board]].stop_id,
                    self.stops[pattern.stops[alight]].stop_id,
                    t.trip_id,
                    t.route_id,
                    t.headsign,
                    float(pattern.delays[trip, board]),
                )
            )
            stop = pattern.stops[board]
            k -= 1
        legs.reverse()
        if egress_s > 0:
            legs.append(Leg("walk", end_arrival, end_arrival + egress_s, from_stop=end_stop))
        return Journey(tuple(legs))

    def _all_trips(self) -> list[Trip]:
        return list(self._base_trips)

    def _build_patterns(self, trips: list[Trip], updates: Mapping[str, tuple[TripUpdate, float]]) -> None:
        if not updates:
            self._base_trips = list(trips)
        groups: dict[tuple[int, ...], list[Trip]] = defaultdict(list)
        for trip in trips:
            try:
                key = tuple(self.stop_index[st.stop_id] for st in trip.stop_times)
            except KeyError:
                continue  # calls a stop that is not a boarding point
            if len(key) >= 2:
                groups[key].append(trip)
        self._patterns = []
        for stops, members in groups.items():
            members.sort(key=lambda t: t.stop_times[0].departure_s)
            arrivals = np.array([[st.arrival_s for st in t.stop_times] for t in members], dtype=float)
            departures = np.array([[st.departure_s for st in t.stop_times] for t in members], dtype=float)
            delays = np.zeros_like(arrivals)
            for row, trip in enumerate(members):
                if trip.trip_id in updates:
                    update, day_start = updates[trip.trip_id]
                    _apply(update, trip, day_start, arrivals[row], departures[row], delays[row])
            self._patterns.append(_Pattern(stops, members, arrivals, departures, delays))
        self._stop_patterns: list[list[tuple[int, int]]] = [[] for _ in self.stops]
        for p, pattern in enumerate(self._patterns):
            for position, stop in enumerate(pattern.stops):
                self._stop_patterns[stop].append((p, position))


def _earliest(departures: np.ndarray, ready: float) -> int:
    """Index of the trip leaving earliest at or after ``ready`` (not assuming FIFO), or -1."""
    usable = np.where(departures >= ready, departures, _INF)
    index = int(np.argmin(usable))
    return index if usable[index] < _INF else -1


def _apply(update: TripUpdate, trip: Trip, day_start: float, arrivals: np.ndarray, departures: np.ndarray, delays: np.ndarray) -> None:
    """Apply a trip update to one trip's times in place (delay propagation per GTFS-RT)."""
    by_sequence = {u.stop_sequence: u for u in update.stop_time_updates if u.stop_sequence is not None}
    by_stop = {u.stop_id: u for u in update.stop_time_updates if u.stop_id is not None and u.stop_sequence is None}
    delay = update.delay_s or 0.0
    for i, call in enumerate(trip.stop_times):
        u = by_sequence.get(i + 1) or by_sequence.get(i) if by_sequence else by_stop.get(call.stop_id)
        if u is not None and u.stop_id is not None and u.stop_id != call.stop_id:
            u = by_stop.get(call.stop_id)
        if u is not None:
            if u.skipped:
                arrivals[i] = _INF
                departures[i] = _INF
                continue
            arrival_delay = _delay(u.arrival_delay_s, u.arrival_time, call.arrival_s, day_start)
            departure_delay = _delay(u.departure_delay_s, u.departure_time, call.departure_s, day_start)
            if arrival_delay is not None:
                delay = arrival_delay
            arrivals[i] = call.arrival_s + delay
            if departure_delay is not None:
                delay = departure_delay
            departures[i] = max(arrivals[i], call.departure_s + delay)
        else:
            arrivals[i] = call.arrival_s + delay
            departures[i] = call.departure_s + delay
        delays[i] = departures[i] - call.departure_s if math.isfinite(departures[i]) else 0.0


def _delay(delay: float | None, absolute: float | None, scheduled: float, day_start: float) -> float | None:
    if delay is not None:
        return delay
    if absolute is not None:
        return absolute - day_start - scheduled
    return None


def _added_trip(update: TripUpdate, day_start: float, stop_index: Mapping[str, int]) -> Trip | None:
    from its.transit import StopTime

    calls = []
    for u in update.stop_time_updates:
        if u.skipped or u.stop_id not in stop_index:
            continue
        arrival = u.arrival_time if u.arrival_time is not None else u.departure_time
        departure = u.departure_time if u.departure_time is not None else u.arrival_time
        if arrival is None or departure is None:
            continue
        calls.append(StopTime(u.stop_id, arrival - day_start, departure - day_start))
    if len(calls) < 2:
        return None
    return Trip(update.trip_id, update.route_id or "", "added", tuple(calls), headsign="")


def _active_services(timetable: Timetable, day: date | None) -> set[str] | None:
    if day is None:
        return None
    return {s.service_id for s in timetable.services if s.start_date <= day <= s.end_date and s.weekdays[day.weekday()]}
