"""What an adaptive controller watches around one signal: its incoming lanes, the chain of
lanes upstream back to the previous signal, its outgoing lanes and the sources it feeds from.

Real approaches are chains of short edges; looking only at the last lane before the stop line
starves approaches whose queue reaches back over a junction, so every lane upstream is mapped
to the approach it feeds, with its distance to the stop line. Plain data: it travels to the
simulation's worker process with the controller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from signals.model import GREEN, Crossing, Intergreens, Signal, SignalNetwork
from signals.phases import split_greens

__all__ = ["Approach", "WATCH_BOX", "WATCH_GAP", "WATCH_IN", "WATCH_OUT", "WATCH_UP", "approaches"]

#: Kinds of watched lanes: incoming, upstream of an incoming edge, outgoing, inside the
#: junction, inside an unsignalised junction on an approach (where vehicles wait for gaps).
WATCH_IN, WATCH_UP, WATCH_OUT, WATCH_BOX, WATCH_GAP = 0, 1, 2, 3, 4

#: Road space of one queued vehicle (length plus gap), metres.
VEHICLE_SPACE_M = 7.5

#: How far beyond the junction the room for released vehicles is counted, metres.
ROOM_M = 40.0

#: How far downstream released vehicles are followed to the streams others give way to, metres.
FEED_M = 250.0


@dataclass(frozen=True)
class Approach:
    """One signal as its controller sees it (indices point into the tuples here).

    ``greens`` are the green states the controller chooses among; ``lane_phases[i]`` the
    greens that serve incoming lane ``i`` (some link of the lane green); ``links`` the
    controlled links as (incoming lane, outgoing lane, state index); ``watch`` maps a lane id
    to (kind, index, offset, length): kind ``WATCH_IN`` for incoming lane ``index``, ``WATCH_UP`` for
    a lane upstream of incoming edge ``index``, ``WATCH_OUT`` for outgoing lane ``index``,
    ``WATCH_BOX`` for an internal lane of the junction crossed by the link with state index
    ``index``, ``WATCH_GAP`` for an internal lane of an unsignalised junction on the chain of
    incoming edge ``index`` (vehicles waiting there for a gap in other traffic);
    ``offset`` (metres) is the distance from the watched lane's end to the stop line and
    ``length`` the watched lane's length.
    """

    tls_id: str
    junction: str
    radius_m: float
    greens: tuple[str, ...]
    lanes: tuple[str, ...]
    lane_length: tuple[float, ...]
    lane_speed: tuple[float, ...]
    lane_edge: tuple[int, ...]
    lane_phases: tuple[tuple[int, ...], ...]
    edges: tuple[str, ...]
    edge_lanes: tuple[tuple[int, ...], ...]
    outgoing: tuple[str, ...]
    out_capacity: tuple[float, ...]
    """Vehicles that fit on each outgoing lane."""
    links: tuple[tuple[int, int, int], ...]
    watch: dict[str, tuple[int, int, float, float]]
    sources: tuple[tuple[str, int, float], ...]
    """Edges of the approaches where vehicles may wait to enter the network: (edge id,
    incoming edge index, distance of the edge's start to the stop line)."""
    upstream_signals: tuple[str, ...] = ()
    """Signals whose outgoing lanes feed this one's approaches."""
    approach_length: tuple[float, ...] = ()
    """Per incoming edge: watched length back from the stop line, metres."""
    conflicts: frozenset[tuple[int, int]] = frozenset()
    """Pairs of state indices whose links cross or merge (both orders)."""
    feeders: tuple[tuple[int, str, tuple[int, ...], float], ...] = ()
    """Upstream signals releasing traffic into the approaches: (incoming edge index, signal,
    its state indices of the links feeding the chain, travel time from its stop line to ours
    in seconds at the speed limits)."""
    out_chain: dict[str, int] = field(default_factory=dict)
    """Lanes just beyond a short outgoing lane (through unsignalised junctions, up to
    ``ROOM_M`` from the junction) → that outgoing lane's index: a 10 m connector has no room
    of its own, its room is the lane after it."""
    out_room: tuple[float, ...] = ()
    """Vehicles that fit on each outgoing lane and its ``out_chain`` lanes."""
    junction_m: tuple[float, ...] = ()
    """Per incoming edge: distance from the stop line back to the nearest unsignalised
    junction on the approach where the road splits (inf when none within reach): a queue
    reaching it blocks the traffic bound elsewhere."""
    out_signal: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """Per outgoing lane shorter than ``ROOM_M`` that ends at a signal: that signal and the
    state indices of the lane's links there (``("", ())`` for other lanes). While none of
    them is green, the vehicles on the lane will all stop on it."""
    yield_feeds: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Watched lanes upstream (and internal lanes of unsignalised junctions there) whose
    vehicles give way to traffic this signal releases → the state indices of the links
    releasing it (reaching the lanes given way to within ``FEED_M``): that traffic stops,
    and leaves gaps, when those links turn red."""
    fifo: frozenset[str] = frozenset()
    """Watched lanes upstream that are the only watched lane of their edge: vehicles there
    cannot pass one another, so one waiting for a red link holds up those behind it
    bound for a green one (a single-lane road widening into turning lanes just before the
    stop line)."""
    out_box: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Internal lanes of the junction such a short outgoing lane leads into → (that
    outgoing lane's index, the state index of the link crossing there): a vehicle standing
    there (a left turn waiting for a gap) still fills the short lane behind it."""
    walkways: tuple[Crossing, ...] = ()
    """The signal's pedestrian crossings (the clearance after their green)."""
    intergreens: Intergreens = Intergreens()
    """The signal's :attr:`signals.model.Signal.intergreens`."""

    @cached_property
    def link_lane(self) -> dict[int, int]:
        """State index → the incoming lane (index) of its link (the first, when several
        links share an index)."""
        out: dict[int, int] = {}
        for i, _, index in self.links:
            out.setdefault(index, i)
        return out


def approaches(
    network: SignalNetwork, signals: tuple[Signal, ...], *, reach_m: float = 400.0, split_phases: bool = False
) -> tuple[Approach, ...]:
    """The :class:`Approach` of each signal, watching up to ``reach_m`` upstream (or back to
    the previous signal, whichever is nearer). Its greens are the shipped program's, and with
    ``split_phases`` also the split phases of :func:`signals.phases.split_greens`."""
    return tuple(_approach(network, signal, reach_m, split_phases) for signal in signals)


def _approach(network: SignalNetwork, signal: Signal, reach_m: float, split_phases: bool) -> Approach:
    greens = tuple(p.state for p in signal.green_phases())
    if split_phases:
        greens += split_greens(signal)
    lanes = signal.incoming_lanes
    edges = signal.incoming_edges
    lane_index = {lane: i for i, lane in enumerate(lanes)}
    lane_edge = tuple(edges.index(network.lanes[lane].edge_id) for lane in lanes)
    lane_phases = tuple(
        tuple(
            p
            for p, state in enumerate(greens)
            if any(state[link.index] in GREEN for link in signal.links_of_lane(lane))
        )
        for lane in lanes
    )
    edge_lanes = tuple(tuple(i for i, e in enumerate(lane_edge) if e == k) for k in range(len(edges)))
    outgoing = signal.outgoing_lanes
    out_index = {lane: i for i, lane in enumerate(outgoing)}
    links = tuple((lane_index[lk.from_lane], out_index[lk.to_lane], lk.index) for lk in signal.links)
    watch: dict[str, tuple[int, int, float, float]] = {
        lane: (WATCH_IN, i, 0.0, network.lanes[lane].length) for i, lane in enumerate(lanes)
    }
    sources: dict[str, tuple[str, int, float]] = {}
    upstream_signals: set[str] = set()
    reach = [0.0] * len(edges)
    junction_m = [float("inf")] * len(edges)
    feeders: dict[tuple[int, str], tuple[set[int], float]] = {}
    frontier = [(lane, lane_edge[i], 0.0, 0.0) for i, lane in enumerate(lanes)]
    while frontier:
        lane, k, offset, travel = frontier.pop()
        geom = network.lanes[lane]
        end = offset + geom.length
        travel += geom.length / max(geom.speed, 1.0)
        reach[k] = max(reach[k], min(end, reach_m))
        sources.setdefault(geom.edge_id, (geom.edge_id, k, end))
        before = network.edge_from_tls.get(geom.edge_id)
        if before is not None:
            upstream_signals.add(before)
            if before != signal.tls_id and end <= 2 * reach_m:
                feeding = {lk.index for lk in network.signals[before].links if lk.to_lane == lane}
                known, time = feeders.get((k, before), (set(), travel))
                feeders[(k, before)] = (known | feeding, min(time, travel))
            continue  # the previous signal: its queue is its own business
        prevs = network.lane_prev.get(lane, ())
        if _branches(network, prevs):
            junction_m[k] = min(junction_m[k], end)
        if end >= reach_m:
            continue
        for prev in prevs:
            if prev in watch:
                continue
            watch[prev] = (WATCH_UP, k, end, network.lanes[prev].length)
            frontier.append((prev, k, end, travel))
    for i, lane in enumerate(outgoing):
        watch.setdefault(lane, (WATCH_OUT, i, 0.0, network.lanes[lane].length))
    radius = max(
        [length + (offset if kind != WATCH_OUT else 0.0) for kind, _, offset, length in watch.values()]
    )
    for link in signal.links:
        for via in link.via:
            watch.setdefault(via, (WATCH_BOX, link.index, 0.0, 0.0))
    for lane, (kind, k, offset, length) in list(watch.items()):
        if kind not in (WATCH_IN, WATCH_UP):
            continue
        node = network.edge_from_node.get(network.lanes[lane].edge_id, "")
        if node and not network.junction_types.get(node, "").startswith("traffic_light"):
            edge = lane_edge[k] if kind == WATCH_IN else k  # WATCH_IN indexes lanes
            for inner in network.junction_internal.get(node, ()):
                watch.setdefault(inner, (WATCH_GAP, edge, offset + length, 0.0))
    upstream_signals.discard(signal.tls_id)
    watched_up: dict[str, list[str]] = {}
    for lane, (kind, _, _, _) in watch.items():
        if kind == WATCH_UP:
            watched_up.setdefault(network.lanes[lane].edge_id, []).append(lane)
    fifo = frozenset(lanes_of[0] for lanes_of in watched_up.values() if len(lanes_of) == 1)
    out_chain, out_room = _room(network, outgoing)
    out_signal = tuple(_out_signal(network, lane) for lane in outgoing)
    reached = _downstream(network, outgoing)
    yield_feeds = {}
    for lane, (kind, _, _, _) in watch.items():
        if kind in (WATCH_UP, WATCH_GAP) and lane in network.yields:
            feeding = {j for foe in network.yields[lane] for j in reached.get(foe, ())}
            indices = tuple(sorted({index for _, j, index in links if j in feeding}))
            if indices:
                yield_feeds[lane] = indices
    return Approach(
        tls_id=signal.tls_id,
        junction=signal.junctions[0] if signal.junctions else signal.tls_id,
        radius_m=min(radius, reach_m + 300.0) + 50.0,
        greens=greens,
        lanes=lanes,
        lane_length=tuple(network.lanes[lane].length for lane in lanes),
        lane_speed=tuple(network.lanes[lane].speed for lane in lanes),
        lane_edge=lane_edge,
        lane_phases=lane_phases,
        edges=edges,
        edge_lanes=edge_lanes,
        outgoing=outgoing,
        out_capacity=tuple(max(1.0, network.lanes[lane].length / VEHICLE_SPACE_M) for lane in outgoing),
        links=links,
        watch=watch,
        sources=tuple(sources.values()),
        upstream_signals=tuple(sorted(upstream_signals)),
        approach_length=tuple(reach),
        conflicts=frozenset(signal.conflicts | {(j, i) for i, j in signal.conflicts}),
        feeders=tuple(
            (k, tls, tuple(sorted(indices)), travel) for (k, tls), (indices, travel) in sorted(feeders.items()) if indices
        ),
        out_chain=out_chain,
        out_room=out_room,
        junction_m=tuple(junction_m),
        out_signal=out_signal,
        yield_feeds=yield_feeds,
        fifo=fifo,
        out_box={
            via: (j, link.index)
            for j, (tls, _) in enumerate(out_signal)
            if tls
            for link in network.signals[tls].links
            if link.from_lane == outgoing[j]
            for via in link.via
        },
        walkways=signal.walkways,
        intergreens=signal.intergreens,
    )


def _downstream(network: SignalNetwork, outgoing: tuple[str, ...]) -> dict[str, set[int]]:
    """Lanes within ``FEED_M`` downstream of each outgoing lane (up to and including the
    next signal's incoming lanes) → the outgoing lanes (indices) whose vehicles reach them."""
    reached: dict[str, set[int]] = {}
    for j, lane in enumerate(outgoing):
        frontier, seen = [(lane, 0.0)], {lane}
        while frontier:
            current, start = frontier.pop()
            reached.setdefault(current, set()).add(j)
            end = start + network.lanes[current].length
            if end >= FEED_M or network.lanes[current].edge_id in network.edge_to_tls:
                continue
            for nxt in network.lane_next.get(current, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append((nxt, end))
    return reached


def _out_signal(network: SignalNetwork, lane: str) -> tuple[str, tuple[int, ...]]:
    """The signal a short outgoing lane ends at and the state indices of its links there."""
    tls = network.edge_to_tls.get(network.lanes[lane].edge_id)
    if tls is None or network.lanes[lane].length >= ROOM_M or tls not in network.signals:
        return "", ()
    return tls, tuple(sorted({lk.index for lk in network.signals[tls].links if lk.from_lane == lane}))


def _branches(network: SignalNetwork, prevs: tuple[str, ...]) -> bool:
    """Whether the junction the ``prevs`` lanes lead into splits the road (one of them leads
    onto several edges): a queue across it holds up traffic bound elsewhere. (A queue
    across a merge holds up only traffic bound here as well, and a U-turn is not a road
    that traffic leaves by: counting it made every merge with a turning bay a split.)"""
    return any(
        len({network.lanes[n].edge_id for n in network.lane_next.get(p, ()) if (p, n) not in network.uturns}) > 1
        for p in prevs
    )


def _room(network: SignalNetwork, outgoing: tuple[str, ...]) -> tuple[dict[str, int], tuple[float, ...]]:
    """Per outgoing lane, the lanes within ``ROOM_M`` of the junction that vehicles released
    onto it drive on next (up to the next signal), and the vehicles all of them hold."""
    chain: dict[str, int] = {}
    room = []
    for j, lane in enumerate(outgoing):
        length = network.lanes[lane].length
        total = length
        frontier = [(lane, length)]
        while frontier:
            current, reached = frontier.pop()
            if reached >= ROOM_M or network.lanes[current].edge_id in network.edge_to_tls:
                continue
            for nxt in network.lane_next.get(current, ()):
                if nxt in chain or nxt in outgoing:
                    continue
                chain[nxt] = j
                size = network.lanes[nxt].length
                total += min(size, ROOM_M - reached)
                frontier.append((nxt, reached + size))
        room.append(max(1.0, total / VEHICLE_SPACE_M))
    return chain, tuple(room)
