"""Live conditions per edge and per named road segment, fused from every feed.

Each reading of a link (an edge, or a detector station of its own) adds an observation to
that link's per-source accumulator, weighted by how much that source is trusted and decayed
exponentially with age. The current speed is the weighted mean of the observations and a
prior: the link's time-of-day profile (the history), or its free-flow speed. Stale data thus
decays toward the profile, and the confidence (from how many observations, how old, which
sources) falls with it. Forecasts for 15, 30 and 60 minutes blend what the readings say now
with the profile at the target time, the profile weighing more the further ahead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from its.feeds.readings import Reading

__all__ = [
    "LEVELS",
    "SOURCE_WEIGHTS",
    "Condition",
    "ConditionsModel",
    "Link",
    "TimeOfDayProfile",
    "level_of",
]

#: Congestion levels by the ratio of current to free-flow speed (lower bound of each level).
LEVELS = (("free", 0.8), ("moderate", 0.55), ("heavy", 0.3), ("stopped", 0.0))

#: How much one reading of each kind counts: a detector interval averages many vehicles; a
#: probe is one vehicle; a bus is one vehicle that also dwells at stops.
SOURCE_WEIGHTS: Mapping[str, float] = {"detector": 1.0, "probe": 0.35, "transit": 0.15}

#: Effective vehicle length plus loop length (metres), to estimate speed from flow and
#: occupancy when a detector reports no speed (single loops).
_EFFECTIVE_LENGTH_M = 6.5


@dataclass(frozen=True)
class Link:
    """Something conditions are kept for: an edge, or a detector station with no edge.

    ``length_m`` may be None for a station whose covered length is unknown (then travel
    times are None); ``free_flow_speed_ms`` None means "learn it from the history".
    """

    link_id: str
    length_m: float | None
    free_flow_speed_ms: float | None
    name: str = ""


@dataclass(frozen=True)
class Condition:
    """What a link is like now, as commercial traffic APIs report it.

    Speeds in m/s, times in seconds; ``congestion`` is ``1 - speed / free-flow speed``
    (0 free, 1 stopped); ``confidence`` is in [0, 1]; ``observations`` the decayed count of
    readings behind the estimate; ``observed_at`` the Unix time of the latest reading.
    """

    link_id: str
    name: str
    speed_ms: float | None
    free_flow_speed_ms: float | None
    travel_time_s: float | None
    free_flow_time_s: float | None
    congestion: float | None
    level: str
    confidence: float
    observations: float
    sources: tuple[str, ...]
    observed_at: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "link": self.link_id,
            "name": self.name,
            "speed_kmh": None if self.speed_ms is None else round(self.speed_ms * 3.6, 1),
            "free_flow_speed_kmh": None if self.free_flow_speed_ms is None else round(self.free_flow_speed_ms * 3.6, 1),
            "travel_time_s": None if self.travel_time_s is None else round(self.travel_time_s, 1),
            "free_flow_time_s": None if self.free_flow_time_s is None else round(self.free_flow_time_s, 1),
            "congestion": None if self.congestion is None else round(self.congestion, 3),
            "level": self.level,
            "confidence": round(self.confidence, 3),
            "observations": round(self.observations, 2),
            "sources": list(self.sources),
            "observed_at": self.observed_at,
        }


def level_of(speed_ms: float | None, free_flow_ms: float | None) -> str:
    """The congestion level of a speed against the free-flow speed (``unknown`` without either)."""
    if speed_ms is None or not free_flow_ms:
        return "unknown"
    ratio = speed_ms / free_flow_ms
    return next(name for name, bound in LEVELS if ratio >= bound)


class TimeOfDayProfile:
    """The history: mean speed per link, day type (weekday or weekend) and time-of-day bin.

    Times of day are local to ``tz``. Kept as sums and counts so that it can be stored and
    merged; an empty bin borrows from its nearest filled neighbours within an hour.
    """

    def __init__(self, *, bin_s: float = 900.0, tz: str = "UTC") -> None:
        self.bin_s = bin_s
        self.tz = ZoneInfo(tz)
        self._bins = int(round(86_400 / bin_s))
        self._sum: dict[tuple[str, int, int], float] = {}
        self._count: dict[tuple[str, int, int], float] = {}

    def slot(self, time: float) -> tuple[int, int]:
        """(day type, bin) of a Unix time: day type 0 on weekdays, 1 at weekends."""
        local = datetime.fromtimestamp(time, self.tz)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return (1 if local.weekday() >= 5 else 0, int(seconds // self.bin_s) % self._bins)

    def add(self, link: str, time: float, speed_ms: float, weight: float = 1.0) -> None:
        day, b = self.slot(time)
        key = (link, day, b)
        self._sum[key] = self._sum.get(key, 0.0) + speed_ms * weight
        self._count[key] = self._count.get(key, 0.0) + weight

    def mean(self, link: str, time: float) -> float | None:
        """Mean speed (m/s) of the link at this time of day, or None without history."""
        day, b = self.slot(time)
        key = (link, day, b)
        if key in self._count:
            return self._sum[key] / self._count[key]
        reach = max(1, int(3600 // self.bin_s))
        for d in range(1, reach + 1):
            total = count = 0.0
            for other in ((b - d) % self._bins, (b + d) % self._bins):
                k = (link, day, other)
                if k in self._count:
                    total += self._sum[k]
                    count += self._count[k]
            if count:
                return total / count
        return None

    def free_flow(self, link: str) -> float | None:
        """A free-flow speed learned from history: the 90th percentile of the bin means."""
        means = sorted(self._sum[k] / self._count[k] for k in self._count if k[0] == link)
        if not means:
            return None
        return means[min(len(means) - 1, int(0.9 * len(means)))]

    def rows(self) -> list[tuple[str, int, int, float, float]]:
        """Everything as (link, day type, bin, sum of speeds, count), for storage."""
        return [(k[0], k[1], k[2], self._sum[k], self._count[k]) for k in self._count]

    def load(self, rows: Iterable[Sequence[float | int | str]]) -> None:
        """Add stored rows (see :meth:`rows`)."""
        for link, day, b, total, count in rows:
            key = (str(link), int(day), int(b))
            self._sum[key] = self._sum.get(key, 0.0) + float(total)
            self._count[key] = self._count.get(key, 0.0) + float(count)


@dataclass
class _Accumulator:
    weight: float = 0.0
    weighted_speed: float = 0.0
    time: float = -math.inf
    latest: float = -math.inf


@dataclass
class _LinkState:
    sources: dict[str, _Accumulator] = field(default_factory=dict)


class ConditionsModel:
    """Fuses readings into conditions per link; pure, in memory, fed by :meth:`observe`.

    Parameters
    ----------
    links
        The links known in advance (the network's edges); a reading of an unknown edge, or
        with no edge, creates a link ``feed:sensor`` on the fly.
    profile
        The time-of-day history (updated by :meth:`observe` as readings come).
    half_life_s
        Age at which an observation counts half, seconds.
    prior_weight
        How many fresh detector intervals' worth the profile (or free flow) counts.
    anomaly_decay_s
        Time constant of the forecast's return to the profile, seconds (fitted on history in
        ``bench/feeds.py``: 1.5 to 3 hours on the PeMS US-101 data).
    source_weights
        Weight of one reading per kind (default :data:`SOURCE_WEIGHTS`).
    """

    def __init__(
        self,
        links: Mapping[str, Link] | None = None,
        *,
        profile: TimeOfDayProfile | None = None,
        half_life_s: float = 600.0,
        prior_weight: float = 0.5,
        anomaly_decay_s: float = 5400.0,
        source_weights: Mapping[str, float] | None = None,
    ) -> None:
        self.links: dict[str, Link] = dict(links or {})
        self.profile = profile or TimeOfDayProfile()
        self.half_life_s = half_life_s
        self.prior_weight = prior_weight
        self.anomaly_decay_s = anomaly_decay_s
        self.source_weights = dict(source_weights or SOURCE_WEIGHTS)
        self._rate = math.log(2) / half_life_s
        self._state: dict[str, _LinkState] = {}

    # -- intake -------------------------------------------------------------------------------
    def link_of(self, reading: Reading) -> str:
        """The link a reading describes: its edge, or its own station link."""
        if reading.edge is not None and reading.edge in self.links:
            return reading.edge
        link_id = reading.edge or f"{reading.feed}:{reading.sensor}"
        if link_id not in self.links:
            self.links[link_id] = Link(link_id, None, None, name=link_id)
        return link_id

    def observe(self, readings: Iterable[Reading], *, history: bool = True) -> set[str]:
        """Fuse readings into the current state (and the history); returns the links touched."""
        touched: set[str] = set()
        for reading in readings:
            speed = reading.speed_ms
            if speed is None:
                speed = _speed_from_flow(reading)
                if speed is None:
                    continue
            if reading.kind != "detector" and reading.edge is None:
                continue  # a probe that was not matched tells nothing about a road
            link = self.link_of(reading)
            weight = self.source_weights.get(reading.kind, 0.1)
            state = self._state.setdefault(link, _LinkState())
            acc = state.sources.setdefault(reading.kind, _Accumulator())
            if reading.time >= acc.time:
                decay = math.exp(-self._rate * (reading.time - acc.time)) if acc.weight else 0.0
                acc.weight = acc.weight * decay + weight
                acc.weighted_speed = acc.weighted_speed * decay + weight * speed
                acc.time = reading.time
            else:  # a late reading counts as old as it is
                w = weight * math.exp(-self._rate * (acc.time - reading.time))
                acc.weight += w
                acc.weighted_speed += w * speed
            acc.latest = max(acc.latest, reading.time)
            if history and reading.kind != "transit":
                self.profile.add(link, reading.time, speed)
            touched.add(link)
        return touched

    # -- answers ------------------------------------------------------------------------------
    def free_flow_speed(self, link_id: str) -> float | None:
        link = self.links.get(link_id)
        if link is not None and link.free_flow_speed_ms:
            return link.free_flow_speed_ms
        return self.profile.free_flow(link_id)

    def condition(self, link_id: str, now: float) -> Condition:
        """The fused condition of one link at ``now`` (Unix seconds)."""
        link = self.links.get(link_id) or Link(link_id, None, None)
        free_flow = self.free_flow_speed(link_id)
        prior = self.profile.mean(link_id, now)
        if prior is None:
            prior = free_flow
        total_w = total_wv = 0.0
        sources: list[str] = []
        latest: float | None = None
        state = self._state.get(link_id)
        if state is not None:
            for kind, acc in state.sources.items():
                age = max(0.0, now - acc.time)
                w = acc.weight * math.exp(-self._rate * age)
                if w <= 1e-6:
                    continue
                total_w += w
                total_wv += acc.weighted_speed * math.exp(-self._rate * age)
                if w >= 0.01:
                    sources.append(kind)
                latest = acc.latest if latest is None else max(latest, acc.latest)
        if prior is not None:
            speed: float | None = (total_wv + self.prior_weight * prior) / (total_w + self.prior_weight)
        else:
            speed = total_wv / total_w if total_w else None
        if speed is not None and free_flow:
            speed = min(speed, free_flow * 1.25)
        diversity = 1.0 + 0.1 * max(0, len(sources) - 1)
        confidence = min(1.0, (1.0 - math.exp(-total_w)) * diversity)
        return _condition(link, speed, free_flow, confidence, total_w, tuple(sorted(sources)), latest)

    def conditions(self, now: float, links: Iterable[str] | None = None) -> dict[str, Condition]:
        """Conditions of the given links (default: every link with readings)."""
        chosen = list(links) if links is not None else list(self._state)
        return {link: self.condition(link, now) for link in chosen}

    def observed_links(self) -> list[str]:
        return list(self._state)

    def travel_times(self, now: float, links: Iterable[str] | None = None) -> dict[str, float]:
        """Current travel time (s) of links with readings (or the given ones), for routing."""
        out: dict[str, float] = {}
        for link in links if links is not None else self._state:
            condition = self.condition(link, now)
            if condition.travel_time_s is not None:
                out[link] = condition.travel_time_s
        return out

    def observed_speed(self, link_id: str, now: float) -> tuple[float | None, float]:
        """The readings' own decayed mean speed at ``now`` (no prior), and its total weight."""
        state = self._state.get(link_id)
        if state is None:
            return None, 0.0
        total_w = total_wv = 0.0
        for acc in state.sources.values():
            decay = math.exp(-self._rate * max(0.0, now - acc.time))
            total_w += acc.weight * decay
            total_wv += acc.weighted_speed * decay
        return (total_wv / total_w if total_w > 1e-9 else None), total_w

    def forecast_speed(self, link_id: str, now: float, horizon_s: float) -> float | None:
        """Expected speed (m/s) ``horizon_s`` seconds after ``now``.

        A blend of what the readings say now and the time-of-day history at the target time,
        the history counting more with the horizon: ``b * now + (1 - b) * profile(t + h)``
        with ``b = exp(-(horizon + age) / anomaly_decay_s)``, where ``age`` is how old the
        latest reading is. Without history, persistence; without readings, the history.
        """
        observed, _ = self.observed_speed(link_id, now)
        later = self.profile.mean(link_id, now + horizon_s)
        if observed is None:
            return later if later is not None else self.free_flow_speed(link_id)
        if later is None:
            return observed
        latest = max(acc.latest for acc in self._state[link_id].sources.values())
        b = math.exp(-(horizon_s + max(0.0, now - latest)) / self.anomaly_decay_s)
        return max(0.0, b * observed + (1.0 - b) * later)

    def forecast(self, link_id: str, now: float, horizons_s: Sequence[float] = (900, 1800, 3600)) -> dict[float, Condition]:
        """Conditions expected after each horizon (seconds; default 15, 30 and 60 minutes)."""
        link = self.links.get(link_id) or Link(link_id, None, None)
        free_flow = self.free_flow_speed(link_id)
        now_condition = self.condition(link_id, now)
        out = {}
        for horizon in horizons_s:
            speed = self.forecast_speed(link_id, now, horizon)
            confidence = now_condition.confidence * math.exp(-horizon / self.anomaly_decay_s)
            if self.profile.mean(link_id, now + horizon) is not None:
                confidence = max(confidence, 0.3)
            out[horizon] = _condition(link, speed, free_flow, confidence, 0.0, now_condition.sources, now_condition.observed_at)
        return out

    def segment(self, name: str, link_ids: Sequence[str], now: float) -> Condition:
        """A named road segment made of several links: travel times add up, the speed is the
        length over the total time, the confidence the length-weighted mean.
        """
        parts = [self.condition(link, now) for link in link_ids]
        lengths = [self.links[p.link_id].length_m if p.link_id in self.links else None for p in parts]
        usable = [(p, length) for p, length in zip(parts, lengths, strict=True) if length and p.travel_time_s is not None]
        if not usable:
            return Condition(name, name, None, None, None, None, None, "unknown", 0.0, 0.0, (), None)
        length = sum(length for _, length in usable)
        time = sum(p.travel_time_s for p, _ in usable if p.travel_time_s is not None)
        free_time = sum(p.free_flow_time_s or 0.0 for p, _ in usable)
        speed = length / time if time else None
        free_flow = length / free_time if free_time else None
        confidence = sum(p.confidence * length for p, length in usable) / length
        sources = tuple(sorted({s for p, _ in usable for s in p.sources}))
        observed = [p.observed_at for p, _ in usable if p.observed_at is not None]
        congestion = None if speed is None or not free_flow else max(0.0, 1.0 - speed / free_flow)
        return Condition(
            name, name, speed, free_flow, time, free_time or None, congestion, level_of(speed, free_flow),
            confidence, sum(p.observations for p, _ in usable), sources, max(observed) if observed else None,
        )  # fmt: skip


def _condition(
    link: Link,
    speed: float | None,
    free_flow: float | None,
    confidence: float,
    observations: float,
    sources: tuple[str, ...],
    observed_at: float | None,
) -> Condition:
    length = link.length_m
    # a standing queue still moves: travel times stay finite so that routes avoid, not break
    travel = length / max(speed, 0.3) if length and speed is not None else None
    free_time = length / free_flow if length and free_flow else None
    congestion = None if speed is None or not free_flow else min(1.0, max(0.0, 1.0 - speed / free_flow))
    return Condition(
        link_id=link.link_id,
        name=link.name,
        speed_ms=speed,
        free_flow_speed_ms=free_flow,
        travel_time_s=travel,
        free_flow_time_s=free_time,
        congestion=congestion,
        level=level_of(speed, free_flow),
        confidence=confidence,
        observations=observations,
        sources=sources,
        observed_at=observed_at,
    )


def _speed_from_flow(reading: Reading) -> float | None:
    """Speed from flow and occupancy (``v = q / k``, k from occupancy and vehicle length)."""
    if reading.kind != "detector" or not reading.flow_veh_h or not reading.occupancy_pct:
        return None
    density_veh_m = reading.occupancy_pct / 100.0 / _EFFECTIVE_LENGTH_M
    return min(reading.flow_veh_h / 3600.0 / density_veh_m, 40.0)
