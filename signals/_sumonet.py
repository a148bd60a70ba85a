"""Reading a SUMO ``.net.xml`` with sumolib into the signal model (links, conflicts, programs,
lane graph)."""

from __future__ import annotations

import xml.sax
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import shapely
import sumolib

from its.control import Phase, TimingPlan
from its.errors import InputError
from its.xmlfile import open_xml
from signals.model import Crossing, Intergreens, LaneGeom, Link, Signal, SignalNetwork


def read(path: Path) -> SignalNetwork:
    if not path.is_file():
        raise InputError(f"{path}: no such network file")
    try:
        net = sumolib.net.readNet(str(path), withInternal=True, withPrograms=True)
    except (xml.sax.SAXParseException, ValueError, KeyError, AttributeError) as error:
        raise InputError(f"{path}: not a readable SUMO network: {error}") from None
    across = ("r", "R") if _lefthand(path) else ("l", "L")  # the turns across oncoming traffic
    lanes: dict[str, LaneGeom] = {}
    lane_next: dict[str, tuple[str, ...]] = {}
    prev: dict[str, list[str]] = {}
    edge_lanes: dict[str, tuple[str, ...]] = {}
    edge_from_tls: dict[str, str] = {}
    edge_to_tls: dict[str, str] = {}
    sources = set()
    uturns: set[tuple[str, str]] = set()
    for edge in net.getEdges(withInternal=False):
        eid = edge.getID()
        edge_lanes[eid] = tuple(lane.getID() for lane in edge.getLanes())
        if not edge.getIncoming():
            sources.add(eid)
        for lane in edge.getLanes():
            lid = lane.getID()
            lanes[lid] = LaneGeom(lid, eid, float(lane.getLength()), float(lane.getSpeed()))
            onward = [c for c in lane.getOutgoing() if not c.getToLane().getID().startswith(":")]
            lane_next[lid] = tuple(dict.fromkeys(c.getToLane().getID() for c in onward))
            for c in onward:
                if c.getDirection() not in ("t", "T"):  # a U-turn leads away, not towards
                    prev.setdefault(c.getToLane().getID(), []).append(lid)
                else:
                    uturns.add((lid, c.getToLane().getID()))
    signals: dict[str, Signal] = {}
    for tls in net.getTrafficLights():
        tid = tls.getID()
        if not tls.getPrograms():
            # rail signals and rail crossings name a `tl` on their connections but have no
            # program: SUMO runs them itself, there is nothing to time
            continue
        connections = [
            c
            for edge in tls.getEdges()
            for group in edge.getOutgoing().values()
            for c in group
            if c.getTLSID() == tid
        ]
        links = tuple(
            sorted(
                (
                    Link(
                        index=c.getTLLinkIndex(),
                        from_lane=c.getFromLane().getID(),
                        to_lane=c.getToLane().getID(),
                        from_edge=c.getFrom().getID(),
                        to_edge=c.getTo().getID(),
                        direction=str(c.getDirection()),
                        junction=c.getJunction().getID(),
                        across=str(c.getDirection()) in across,
                        via=_via(net, c),
                    )
                    for c in connections
                    if c.getTLLinkIndex() >= 0 and not _pedestrian(c)
                ),
                key=lambda link: (link.index, link.from_lane, link.to_lane),
            )
        )
        conflicts = set()
        gives_way: set[tuple[int, int]] = set()
        examples: dict[tuple[int, int], tuple[str, str]] = {}
        request: dict[int, int] = {}
        for node in {c.getJunction() for c in connections}:
            request.update(_request_indices(node))
        for a in connections:
            for b in connections:
                ia, ib = a.getTLLinkIndex(), b.getTLLinkIndex()
                if ia >= ib or a.getJunction() is not b.getJunction() or a.getFrom() is b.getFrom():
                    continue
                ja, jb = request.get(id(a), -1), request.get(id(b), -1)
                if ja >= 0 and jb >= 0 and a.getJunction().areFoes(ja, jb):
                    conflicts.add((ia, ib))
                    examples.setdefault((ia, ib), (_lanes(a), _lanes(b)))
                    if _responds(a.getJunction(), ja, jb):
                        gives_way.add((ia, ib))
                    if _responds(a.getJunction(), jb, ja):
                        gives_way.add((ib, ia))
        programs = tuple(_plan(tid, pid, program) for pid, program in tls.getPrograms().items())
        size = max([len(p.phases[0].state) for p in programs if p.phases] + [max((lk.index for lk in links), default=-1) + 1])
        junction_ids = tuple(sorted({link.junction for link in links}))
        coords = [net.getNode(j).getCoord() for j in junction_ids]
        xy = (
            (sum(c[0] for c in coords) / len(coords), sum(c[1] for c in coords) / len(coords)) if coords else (0.0, 0.0)
        )
        walkways = _walkways(connections, conflicts, {lk.index for lk in links})
        signals[tid] = Signal(
            tls_id=tid,
            links=links,
            size=size,
            conflicts=frozenset(conflicts),
            gives_way=frozenset(gives_way),
            intergreens=_intergreens(net, links, conflicts, lanes, walkways),
            conflict_lanes=examples,
            programs=programs,
            junctions=junction_ids,
            xy=(float(xy[0]), float(xy[1])),
            crossings=frozenset(c.getTLLinkIndex() for c in connections if c.getTLLinkIndex() >= 0 and _pedestrian(c)),
            walkways=walkways,
        )
        for link in links:
            edge_to_tls[link.from_edge] = tid
            edge_from_tls[link.to_edge] = tid
    return SignalNetwork(
        net_path=path.resolve(),
        signals=signals,
        lanes=lanes,
        lane_next=lane_next,
        lane_prev={k: tuple(v) for k, v in prev.items()},
        uturns=frozenset(uturns),
        edge_lanes=edge_lanes,
        edge_from_tls=edge_from_tls,
        edge_to_tls=edge_to_tls,
        sources=frozenset(sources),
        junction_types={node.getID(): str(node.getType()) for node in net.getNodes()},
        junction_internal={node.getID(): tuple(node.getInternal()) for node in net.getNodes()},
        edge_from_node={edge.getID(): edge.getFromNode().getID() for edge in net.getEdges(withInternal=False)},
        yields=_yields(net),
    )


def _lefthand(path: Path) -> bool:
    """Whether the network drives on the left (the root's ``lefthand``; sumolib does not
    read it)."""
    with open_xml(path) as stream:
        for _, element in ElementTree.iterparse(stream, events=("start",)):
            return element.get("lefthand", "false").lower() in ("true", "1")
    return False


def _yields(net: sumolib.net.Net) -> dict[str, tuple[str, ...]]:
    """Per lane ending at an unsignalised junction with a link there that must give way, and
    per internal lane of such a link (where a turning vehicle waits inside the junction): the
    incoming lanes whose links it gives way to (the junction's ``<request>`` responses)."""
    out: dict[str, set[str]] = {}
    for node in net.getNodes():
        if str(node.getType()).startswith("traffic_light") or not node.hasFoes():
            continue
        rows = _request_indices(node)
        by_row = {row: c for c in node.getConnections() for row in (rows.get(id(c)),) if row is not None}
        for row, connection in by_row.items():
            response = node._prohibits.get(row, "")
            foes = {
                by_row[k].getFromLane().getID()
                for k, bit in enumerate(reversed(response))
                if bit == "1" and k in by_row and k != row
            }
            if not foes:
                continue
            for lane in (connection.getFromLane().getID(), *_via(net, connection)[:1]):
                out.setdefault(lane, set()).update(foes)
    return {lane: tuple(sorted(foes)) for lane, foes in out.items()}


def _walkways(
    connections: list[sumolib.net.connection.Connection], conflicts: set[tuple[int, int]], vehicle: set[int]
) -> tuple[Crossing, ...]:
    """The signal's pedestrian crossings: state index, length of the crossing lane and the
    vehicle links in conflict with it (a crossing walked both ways may have two indices)."""
    out: dict[int, Crossing] = {}
    for c in connections:
        index = c.getTLLinkIndex()
        if index < 0 or not _pedestrian(c) or index in out:
            continue
        lanes = [lane for lane in (c.getToLane(), c.getFromLane()) if lane.getEdge().getFunction() == "crossing"]
        if not lanes:
            continue
        foes = {j for pair in conflicts if index in pair for j in pair if j != index and j in vehicle}
        edge = lanes[0].getEdge()
        sides = tuple(dict.fromkeys(e.getID() for e in (*edge.getIncoming(), *edge.getOutgoing())))
        out[index] = Crossing(index, float(lanes[0].getLength()), frozenset(foes), edge.getID(), sides)
    return tuple(out[k] for k in sorted(out))


def _pedestrian(connection: sumolib.net.connection.Connection) -> bool:
    """Whether a controlled connection is a pedestrian crossing's (from a walking area onto
    a crossing, or off it): the signal's state strings keep its character, shown with the
    stages the program shows it in, but the vehicle models (approaches, flows, lane
    capacities, platoons) have no lane to read there."""
    return connection.getFromLane().getID().startswith(":") or connection.getToLane().getID().startswith(":")


def _request_indices(node: sumolib.net.node.Node) -> dict[int, int]:
    """Each connection's row in its junction's ``<request>`` table, keyed by ``id()``.

    The same walk as sumolib's ``Node.getLinkIndex``, done once per junction instead of once
    per connection (which is quadratic on big junctions).
    """
    rows: dict[int, int] = {}
    row = 0
    edges = {e.getID(): e for e in node.getIncoming()}
    for lane_id in node._incLanes:
        edge_id, _, index = lane_id.rpartition("_")
        edge = edges.get(edge_id)
        if edge is None or not index.isdigit():
            continue
        for candidate in edge.getLane(int(index)).getOutgoing():
            from_kind = candidate.getFromLane().getEdge().getFunction()
            to_kind = candidate.getToLane().getEdge().getFunction()
            if to_kind == "walkingarea" or (from_kind == "walkingarea" and to_kind != "crossing"):
                continue
            rows[id(candidate)] = row
            row += 1
    return rows


#: RiLSA's design vehicle length (metres) for the clearing time.
VEHICLE_LENGTH_M = 6.0
#: Two vehicle paths closer than this (metres, centre to centre) conflict there: a car's
#: width and a little margin.
CONFLICT_DISTANCE_M = 2.0
#: The slowest a vehicle is taken to cross a junction (m/s).
SLOWEST_MS = 5.0
#: How fast a clearing vehicle speeds up across the junction (m/s², SUMO's passenger car).
ACCELERATION_MS2 = 2.6
#: How fast the last cyclist of a cycle lane clears a junction (m/s; RiLSA's clearing speed
#: for cyclists, who are taken to clear with no length of their own, as RiLSA does). A cycle
#: lane's speed limit is often the road's (SUMO's netconvert gives it the edge's), far above
#: what a cyclist rides.
CYCLIST_CLEARING_MS = 4.0
#: The classes a lane may allow besides bicycles and still be a cycle lane.
CYCLE_LANE_CLASSES = frozenset({"bicycle", "pedestrian", "scooter"})


def _intergreens(
    net: sumolib.net.Net,
    links: tuple[Link, ...],
    conflicts: set[tuple[int, int]],
    lanes: dict[str, LaneGeom],
    walkways: tuple[Crossing, ...] = (),
) -> Intergreens:
    """The intergreen matrix of one signal from its vehicle links' paths across the
    junction, and from them to its pedestrian crossings (``walks``: what a fixed-time
    plan's late walk is timed from; the all-red does not wait for them, holding every vehicle
    red until the last vehicle is past a crossing about to walk cost Braunschweig's research
    junction 182 s of delay instead of 43 s under lookahead).

    Written here because no maintained Python library derives intergreens from a SUMO
    network (SUMO's netconvert sizes one all-red per junction, tlsCycleAdaptation none).
    Where several links share a state index, the pair of them needing most counts."""
    paths = {id(link): _path(net, link) for link in links}
    speeds = {id(link): _speeds(net, link, lanes) for link in links}
    by_index: dict[int, list[Link]] = {}
    for link in links:
        by_index.setdefault(link.index, []).append(link)
    needs = []
    for a, b in sorted(conflicts):
        for i, j in ((a, b), (b, a)):
            seconds = max(
                (
                    _all_red_s(paths[id(clearing)], paths[id(entering)], speeds[id(clearing)], speeds[id(entering)][1])
                    for clearing in by_index.get(i, ())
                    for entering in by_index.get(j, ())
                ),
                default=0.0,
            )
            if seconds > 0.05:
                needs.append((i, j, round(float(seconds), 1)))
    walks = []
    for crossing in walkways:
        lane = net.getEdge(crossing.edge).getLanes()[0] if crossing.edge else None
        if lane is None or len(lane.getShape()) < 2:
            continue
        walk = shapely.LineString(lane.getShape())
        reach = lane.getWidth() / 2 + CONFLICT_DISTANCE_M / 2  # the walkers' half and the car's
        for i in sorted(crossing.foes):
            seconds = max(
                (
                    _clearing_s(paths[id(clearing)], walk, speeds[id(clearing)], reach)
                    for clearing in by_index.get(i, ())
                ),
                default=0.0,
            )
            if seconds > 0.05:
                walks.append((i, crossing.index, round(float(seconds), 1)))
    return Intergreens(tuple(needs), tuple(walks), frozenset(conflicts))


def _path(net: sumolib.net.Net, link: Link) -> shapely.LineString | None:
    """The centre line a vehicle of ``link`` drives across the junction (its internal lanes)."""
    points: list[tuple[float, float]] = []
    for lane in link.via:
        for point in net.getLane(lane).getShape():
            if not points or points[-1] != point:
                points.append(point)
    return shapely.LineString(points) if len(points) >= 2 else None


def _speeds(net: sumolib.net.Net, link: Link, lanes: dict[str, LaneGeom]) -> tuple[float, float, float]:
    """How fast a vehicle on ``link`` crosses its stop line (its approach's limit, at most
    the junction's), how fast it crosses the junction (the internal lanes' limit, which SUMO
    sets from a turn's radius, at least :data:`SLOWEST_MS`) and the length it clears with.
    The last vehicle out of a cycle lane is a cyclist: :data:`CYCLIST_CLEARING_MS`, no
    length. (Entering, every link keeps its limit: the earlier arrival is the safe side.)"""
    across = max(SLOWEST_MS, min(net.getLane(lane).getSpeed() for lane in link.via)) if link.via else SLOWEST_MS
    allowed = net.getLane(link.from_lane).getPermissions()
    if "bicycle" in allowed and allowed <= CYCLE_LANE_CLASSES:
        cyclist = min(CYCLIST_CLEARING_MS, lanes[link.from_lane].speed, across)
        return cyclist, cyclist, 0.0
    return min(lanes[link.from_lane].speed, across), across, VEHICLE_LENGTH_M


def _all_red_s(
    clearing: shapely.LineString | None,
    entering: shapely.LineString | None,
    v_r: tuple[float, float, float],
    v_e: float,
) -> float:
    """RiLSA's ``t_r - t_e`` for one pair of paths (0 when they never come within
    :data:`CONFLICT_DISTANCE_M` of each other: foes by the junction's rules, but no vehicle
    of one can touch a vehicle of the other). The clearing vehicle crosses its stop line at
    ``v_r[0]``, speeds up to ``v_r[1]`` and is ``v_r[2]`` metres long; the entering one
    arrives at ``v_e`` (a flying start, the safe side)."""
    if clearing is None or entering is None:
        return 0.0
    far = _within(clearing, entering)
    near = _within(entering, clearing)
    if far is None or near is None:
        return 0.0
    return _travel_s(far[-1] + v_r[2], *v_r[:2]) - near[0] / v_e


def _clearing_s(
    clearing: shapely.LineString | None, walk: shapely.LineString, v_r: tuple[float, float, float], reach: float
) -> float:
    """RiLSA's ``t_r`` from a vehicle path to a crossing (``t_e = 0``): how long the last
    vehicle, crossing its stop line as its yellow ends, takes to be past the crossing's
    path with its length (0 when the path never comes within ``reach`` metres of it)."""
    if clearing is None:
        return 0.0
    far = _within(clearing, walk, reach)
    return 0.0 if far is None else _travel_s(far[-1] + v_r[2], *v_r[:2])


def _travel_s(distance: float, v0: float, top: float) -> float:
    """Seconds to cover ``distance`` metres from ``v0`` m/s, speeding up at
    :data:`ACCELERATION_MS2` to ``top`` m/s."""
    v0 = max(v0, 0.1)
    if top <= v0:
        return distance / v0
    speeding = (top * top - v0 * v0) / (2 * ACCELERATION_MS2)
    if distance <= speeding:
        return (np.sqrt(v0 * v0 + 2 * ACCELERATION_MS2 * distance) - v0) / ACCELERATION_MS2
    return (top - v0) / ACCELERATION_MS2 + (distance - speeding) / top


def _within(path: shapely.LineString, other: shapely.LineString, reach: float = CONFLICT_DISTANCE_M) -> np.ndarray | None:
    """Distances along ``path`` (every half metre) at which it is within ``reach`` metres
    of ``other``, None when nowhere."""
    along = np.linspace(0.0, path.length, max(2, int(np.ceil(path.length / 0.5)) + 1))
    close = along[shapely.distance(shapely.line_interpolate_point(path, along), other) < reach]
    return close if len(close) else None


def _responds(node: sumolib.net.node.Node, row: int, foe: int) -> bool:
    """Whether request row ``row`` of ``node`` gives way to row ``foe`` (its response)."""
    response = node._prohibits.get(row, "")
    return 0 <= foe < len(response) and response[-(foe + 1)] == "1"


def _lanes(connection: sumolib.net.connection.Connection) -> str:
    return f"{connection.getFromLane().getID()} -> {connection.getToLane().getID()}"


def _via(net: sumolib.net.Net, connection: sumolib.net.connection.Connection) -> tuple[str, ...]:
    lane_id = connection.getViaLaneID()
    chain: list[str] = []
    while lane_id and lane_id.startswith(":") and lane_id not in chain:
        chain.append(lane_id)
        following = [c.getToLane().getID() for c in net.getLane(lane_id).getOutgoing()]
        lane_id = following[0] if following else ""
    return tuple(chain)


def _plan(tls_id: str, program_id: str, program: sumolib.net.TLSProgram) -> TimingPlan:
    phases = tuple(
        Phase(
            state=p.state,
            duration=float(p.duration),
            min_dur=float(p.minDur) if p.minDur is not None and float(p.minDur) >= 0 else None,
            max_dur=float(p.maxDur) if p.maxDur is not None and float(p.maxDur) >= 0 else None,
            name=p.name or "",
        )
        for p in program.getPhases()
    )
    return TimingPlan(
        tls_id=tls_id,
        program_id=str(program_id),
        phases=phases,
        offset=float(program.getOffset() or 0.0),
        type=str(program.getType() or "static"),
    )
