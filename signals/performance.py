"""Delay and level of service junction by junction: what an engineer reads signal by signal
before and after a change, beside the network-wide benchmark delay.

A signal's delay here is the time its approaches cost the vehicles it serves: the time lost
(SUMO's edgeData ``timeLoss``: time spent below the speed the vehicle could have driven) on
each incoming edge and on the chain of edges upstream of it back to the previous signal
(within the reach the controllers watch), divided by the vehicles that left the incoming
edge across the stop line. It is HCM's control delay measured in the simulation: slowing
for the signal, queueing and moving up, and starting again. A queue that spills back
beyond the reach is only counted as far as the reach; vehicles still queued at the end
count with the time they lost so far.

Queues are measured by SUMO lane-area detectors laid from each incoming lane's stop line back
along the lanes feeding it (:func:`queue_stretches`): the longest queue in each interval,
of which the 95th percentile over the intervals is the engineer's design queue, and whether a
queue ever filled the whole stretch (spilling back to the previous signal, or beyond what is
measured).

Walkers' waits come from the plan itself (:func:`walk_waits`): HCM's pedestrian delay at a
signalised crossing, each crossing's mean wait for its walk, with its own level of service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from its.control import TimingPlan
from signals.approach import WATCH_IN, WATCH_UP, approaches
from signals.model import GREEN, Signal, SignalNetwork

__all__ = [
    "LOS_BOUNDS",
    "WALK_LOS_BOUNDS",
    "ApproachDelay",
    "JunctionDelay",
    "QueueStretch",
    "approach_edges",
    "junction_delays",
    "level_of_service",
    "queue_stretches",
    "walk_waits",
]

#: HCM 6th edition, Exhibit 19-8, signalised intersections: the most control delay
#: (s/vehicle) of each level of service; above the last is F.
LOS_BOUNDS: tuple[tuple[str, float], ...] = (("A", 10.0), ("B", 20.0), ("C", 35.0), ("D", 55.0), ("E", 80.0))


#: HCM 2000, Exhibit 18-9, pedestrians at signalised crossings: the most mean wait
#: (s/pedestrian) of each level of service; above the last is F (walkers likely to cross
#: against the signal).
WALK_LOS_BOUNDS: tuple[tuple[str, float], ...] = (("A", 10.0), ("B", 20.0), ("C", 30.0), ("D", 40.0), ("E", 60.0))


def level_of_service(delay_s: float, bounds: Sequence[tuple[str, float]] = LOS_BOUNDS) -> str:
    """HCM's letter for a signalised junction's control delay (s/vehicle), or with
    ``bounds`` :data:`WALK_LOS_BOUNDS` for walkers' mean wait (s/pedestrian)."""
    for letter, bound in bounds:
        if delay_s <= bound:
            return letter
    return "F"


@dataclass(frozen=True)
class ApproachDelay:
    """One approach of a signal: its incoming edge, the vehicles that crossed its stop line
    per run and their mean delay (None when none did)."""

    edge: str
    vehicles: float
    delay_s: float | None


@dataclass(frozen=True)
class JunctionDelay:
    """A signal's vehicles per run over all its approaches, their mean delay and its level
    of service (None when no vehicle crossed), and each approach's."""

    tls_id: str
    vehicles: float
    delay_s: float | None
    los: str | None
    approaches: tuple[ApproachDelay, ...]

    @property
    def worst(self) -> ApproachDelay | None:
        """The approach with the most delay per vehicle."""
        served = [a for a in self.approaches if a.delay_s is not None]
        return max(served, key=lambda a: a.delay_s or 0.0, default=None)


def approach_edges(
    network: SignalNetwork, tls_ids: Sequence[str] | None = None, *, reach_m: float = 400.0
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per signal (all by default), per incoming edge: that edge and the edges upstream of it
    whose time lost counts towards it, back to the previous signal or ``reach_m`` metres,
    whichever is nearer (the stretch the adaptive controllers watch)."""
    signals = tuple(network.signal(t) for t in (tls_ids if tls_ids is not None else list(network.signals)))
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for approach in approaches(network, signals, reach_m=reach_m):
        chains: dict[str, dict[str, None]] = {edge: {edge: None} for edge in approach.edges}
        for lane, (kind, index, _, _) in approach.watch.items():
            geometry = network.lanes.get(lane)
            if geometry is None:  # an internal lane
                continue
            if kind == WATCH_IN:
                chains[approach.edges[approach.lane_edge[index]]][geometry.edge_id] = None
            elif kind == WATCH_UP:
                chains[approach.edges[index]][geometry.edge_id] = None
        out[approach.tls_id] = {edge: tuple(chain) for edge, chain in chains.items()}
    return out


def walk_waits(plan: TimingPlan, signal: Signal) -> dict[int, float]:
    """Per signalised crossing of ``signal`` (state index), the mean seconds a walker arriving
    at random waits for the walk under the fixed-time ``plan``: HCM's pedestrian delay
    ``(C - g)^2 / 2C``, here summed over every stretch of the cycle without a walk (a
    crossing walked twice a cycle waits for the next walk, not a whole cycle). A crossing
    the plan never walks waits without end (inf); one walked throughout waits 0. Empty for
    a plan that is not fixed-time (an actuated plan's waits follow the calls)."""
    cycle = plan.cycle_s
    out: dict[int, float] = {}
    if plan.type != "static":
        return out
    for k in sorted(signal.crossings):
        green = [k < len(p.state) and p.state[k] in GREEN for p in plan.phases]
        if not any(green) or cycle <= 0:
            out[k] = float("inf")
            continue
        start = green.index(True)  # walk the cycle from a walk: each red stretch is whole
        squares, red = 0.0, 0.0
        for i in range(start, start + len(green)):
            j = i % len(green)
            if green[j]:
                squares, red = squares + red * red, 0.0
            else:
                red += plan.phases[j].duration
        out[k] = (squares + red * red) / (2.0 * cycle)
    return out


@dataclass(frozen=True)
class QueueStretch:
    """Where a queue from one incoming lane's stop line is measured: the lanes it backs up
    along (upstream first, ending with the incoming lane) and their length, metres.
    ``to_signal``: the stretch reaches back to the previous signal's stop line."""

    tls_id: str
    edge: str
    lanes: tuple[str, ...]
    length_m: float
    to_signal: bool


def queue_stretches(
    network: SignalNetwork, tls_ids: Sequence[str] | None = None, *, reach_m: float = 400.0
) -> list[QueueStretch]:
    """For each incoming lane of each signal (all by default), the stretch its queue is
    measured on: the lane and, while one lane alone feeds the last one taken, that lane too,
    back to the previous signal or ``reach_m`` metres (where the road splits upstream, the
    queue's branches are not followed)."""
    out = []
    for tls_id in tls_ids if tls_ids is not None else list(network.signals):
        signal = network.signal(tls_id)
        for lane in signal.incoming_lanes:
            geometry = network.lanes.get(lane)
            if geometry is None:
                continue
            lanes, length, to_signal = [lane], geometry.length, geometry.edge_id in network.edge_from_tls
            while length < reach_m and not to_signal:
                feeding = network.lane_prev.get(lanes[0], ())
                if len(feeding) != 1 or feeding[0] in lanes or feeding[0] not in network.lanes:
                    break
                before = network.lanes[feeding[0]]
                lanes.insert(0, before.lane_id)
                length += before.length
                to_signal = before.edge_id in network.edge_from_tls
            out.append(QueueStretch(tls_id, geometry.edge_id, tuple(lanes), length, to_signal))
    return out


def junction_delays(
    chains: Mapping[str, Mapping[str, Sequence[str]]],
    lost_s: Mapping[str, float],
    left: Mapping[str, float],
    *,
    remaining: Mapping[str, float] | None = None,
    runs: int = 1,
) -> dict[str, JunctionDelay]:
    """Each signal's delay from the time lost on each edge (``lost_s``, seconds summed over
    vehicles and ``runs``) and the vehicles that left each edge onwards (``left``, summed the
    same way), for the approach ``chains`` of :func:`approach_edges`. An edge on the chains
    of two approaches of one signal counts once for the signal.

    The vehicles still on an approach's edges when a run ended (``remaining``, per edge,
    summed the same way) count with the time they lost so far, as HCM counts the queue left
    at the end of the analysis period: without them, a queue that never cleared put all its
    time lost on the few vehicles that got through (thousands of seconds each)."""
    stuck = {e: max(float(v), 0.0) for e, v in (remaining or {}).items()}
    out = {}
    for tls_id, by_edge in chains.items():
        rows = []
        for edge, chain in by_edge.items():
            crossed = float(left.get(edge, 0.0))
            delayed = crossed + sum(stuck.get(e, 0.0) for e in chain)
            lost = sum(float(lost_s.get(e, 0.0)) for e in chain)
            rows.append(ApproachDelay(edge, crossed / runs, lost / delayed if delayed else None))
        edges = dict.fromkeys(e for chain in by_edge.values() for e in chain)
        crossed = sum(float(left.get(edge, 0.0)) for edge in by_edge)
        delayed = crossed + sum(stuck.get(e, 0.0) for e in edges)
        lost = sum(float(lost_s.get(e, 0.0)) for e in edges)
        delay = lost / delayed if delayed else None
        out[tls_id] = JunctionDelay(
            tls_id, crossed / runs, delay, None if delay is None else level_of_service(delay), tuple(rows)
        )
    return out
