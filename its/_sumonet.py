"""Reading SUMO ``.net.xml`` files with sumolib into the core's network value model."""

from __future__ import annotations

import xml.sax
from pathlib import Path

import sumolib

from its.errors import InputError
from its.geo import Projection
from its.network import Edge, Junction, Lane, Network


def read(path: Path) -> Network:
    if not path.is_file():
        raise InputError(f"{path}: no such network file")
    try:
        net = sumolib.net.readNet(str(path), withInternal=False, withPrograms=False)
    except (xml.sax.SAXParseException, ValueError, KeyError) as error:
        raise InputError(f"{path}: not a readable SUMO network: {error}") from None
    junctions = {
        node.getID(): Junction(
            junction_id=node.getID(),
            x=node.getCoord()[0],
            y=node.getCoord()[1],
            type=node.getType(),
            incoming_lanes=tuple(lane.getID() for edge in node.getIncoming() for lane in edge.getLanes()),
        )
        for node in net.getNodes()
    }
    edges: dict[str, Edge] = {}
    successors: dict[str, tuple[str, ...]] = {}
    for edge in net.getEdges(withInternal=False):
        lanes = tuple(
            Lane(
                lane_id=lane.getID(),
                index=lane.getIndex(),
                length=lane.getLength(),
                speed=lane.getSpeed(),
                allows=_allowed(lane),
            )
            for lane in edge.getLanes()
        )
        edges[edge.getID()] = Edge(
            edge_id=edge.getID(),
            from_junction=edge.getFromNode().getID(),
            to_junction=edge.getToNode().getID(),
            length=edge.getLength(),
            speed=edge.getSpeed(),
            lanes=lanes,
            shape=tuple((float(x), float(y)) for x, y in edge.getShape()),
            priority=edge.getPriority(),
            type=edge.getType() or "",
            name=edge.getName() or "",
        )
        successors[edge.getID()] = tuple(sorted({e.getID() for e in edge.getOutgoing()}))
    offset = net.getLocationOffset()
    projection = Projection(
        proj=net._location.get("projParameter", "!"),
        offset_x=float(offset[0]),
        offset_y=float(offset[1]),
    )
    return Network(
        path=path.resolve(),
        junctions=junctions,
        edges=edges,
        successors=successors,
        projection=projection,
        tls_ids=tuple(sorted(tls.getID() for tls in net.getTrafficLights())),
    )


_ALL_CLASSES = frozenset(sumolib.net.lane.SUMO_VEHICLE_CLASSES)


def _allowed(lane: sumolib.net.lane.Lane) -> frozenset[str] | None:
    allowed = frozenset(lane.getPermissions())
    return None if allowed >= _ALL_CLASSES else allowed
