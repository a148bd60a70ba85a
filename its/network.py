"""The road-network value model: junctions, edges, lanes and turns of a SUMO network.

Plain frozen data read once from a ``.net.xml`` (see :func:`read_network`); routing weights
it by conditions, the optimiser reads its signalised junctions, the simulation draws it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from its.geo import Projection

__all__ = ["Edge", "Junction", "Lane", "Network", "read_network"]


@dataclass(frozen=True)
class Lane:
    lane_id: str
    index: int
    length: float
    speed: float
    allows: frozenset[str] | None = None
    """Vehicle classes allowed, or None for all."""

    def permits(self, vclass: str) -> bool:
        return self.allows is None or vclass in self.allows


@dataclass(frozen=True)
class Edge:
    """A directed road edge; ``speed`` in m/s, ``length`` in metres, ``shape`` in network xy."""

    edge_id: str
    from_junction: str
    to_junction: str
    length: float
    speed: float
    lanes: tuple[Lane, ...]
    shape: tuple[tuple[float, float], ...]
    priority: int = 0
    type: str = ""
    name: str = ""

    @property
    def free_flow_time_s(self) -> float:
        """Travel time at the speed limit, seconds."""
        return self.length / self.speed if self.speed > 0 else float("inf")

    def permits(self, vclass: str) -> bool:
        return any(lane.permits(vclass) for lane in self.lanes)


@dataclass(frozen=True)
class Junction:
    junction_id: str
    x: float
    y: float
    type: str
    incoming_lanes: tuple[str, ...] = ()

    @property
    def signalised(self) -> bool:
        return self.type.startswith("traffic_light")


@dataclass(frozen=True)
class Network:
    """A road network: junctions and edges by id, and which edges each edge turns into."""

    path: Path
    junctions: Mapping[str, Junction]
    edges: Mapping[str, Edge]
    successors: Mapping[str, tuple[str, ...]]
    projection: Projection
    tls_ids: tuple[str, ...] = field(default_factory=tuple)

    def lane(self, lane_id: str) -> Lane:
        """The lane with this id (``edge_index``)."""
        edge_id, _, _ = lane_id.rpartition("_")
        edge = self.edges.get(edge_id)
        if edge is not None:
            for lane in edge.lanes:
                if lane.lane_id == lane_id:
                    return lane
        raise KeyError(lane_id)


def read_network(path: Path) -> Network:
    """Read a SUMO ``.net.xml`` into a :class:`Network` (internal edges left out)."""
    from its._sumonet import read

    return read(path)
