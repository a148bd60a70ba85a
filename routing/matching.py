"""Map matching of probe-vehicle tracks to network edges (a hidden Markov model).

Candidates for each point come from sumolib's spatial index of the network (an R-tree over
edge shapes); shapely projects the point onto each candidate's shape. A Viterbi pass over the
track picks the candidate sequence that best explains both each point (distance to the road,
and the vehicle's heading against the road's direction there, which tells the two carriageways
of a two-way road apart) and each step between points (the distance driven along the network
should match the distance between the fixes: continuity), after Newson and Krumm (2009).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sumolib
from shapely import LineString, Point

from its.errors import InputError
from its.feeds.probes import EdgeMatch, ProbePoint
from its.network import Network
from routing.graph import RoadGraph

__all__ = ["Candidate", "MapMatcher"]


@dataclass(frozen=True)
class Candidate:
    """A possible position of a point: edge, offset along it (m), distance to the point (m)
    and the road's compass bearing there (degrees clockwise from north).
    """

    edge: str
    offset_m: float
    distance_m: float
    bearing_deg: float


class MapMatcher:
    """Matches tracks on one network; call it with a vehicle's points in time order.

    Parameters
    ----------
    network
        The road network (geo-referenced when points come as longitude/latitude).
    vclass
        Vehicle class whose edges are candidates.
    radius_m
        Points farther than this from every permitted edge are off the road (None).
    sigma_m
        GPS noise, metres (emission model).
    beta_m
        Tolerance of the difference between driven and straight-line distance, metres.
    heading_sigma_deg
        Spread of heading against road direction, degrees; headings count only when the
        vehicle moves faster than 1 m/s (or its speed is unknown).
    """

    def __init__(
        self,
        network: Network,
        *,
        vclass: str = "passenger",
        radius_m: float = 40.0,
        sigma_m: float = 8.0,
        beta_m: float = 40.0,
        heading_sigma_deg: float = 35.0,
        graph: RoadGraph | None = None,
    ) -> None:
        self.network = network
        self.radius_m = radius_m
        self.sigma_m = sigma_m
        self.beta_m = beta_m
        self.heading_sigma_deg = heading_sigma_deg
        self._net = sumolib.net.readNet(str(network.path), withInternal=False, withPrograms=False)
        self._permitted = {e.edge_id for e in network.edges.values() if e.permits(vclass)}
        self._lines = {e.edge_id: LineString(e.shape) for e in network.edges.values() if e.edge_id in self._permitted and len(e.shape) > 1}
        # distances along the network: a graph weighted by length
        lengths = graph or RoadGraph.from_network(network, vclass=vclass)
        self._graph = RoadGraph(
            lengths.edge_ids,
            [lengths.junctions[i] for i in lengths.tail],
            [lengths.junctions[i] for i in lengths.head],
            lengths.length_m.tolist(),
            np.maximum(lengths.length_m, 0.01).tolist(),
        )
        self._distance = lru_cache(maxsize=100_000)(self._graph.distance_m)

    def __call__(self, points: Sequence[ProbePoint]) -> list[EdgeMatch | None]:
        return self.match(points)

    def xy(self, points: Sequence[ProbePoint]) -> np.ndarray:
        """Network coordinates (metres) of WGS84 points."""
        if not points:
            return np.zeros((0, 2))
        if not self.network.projection.geographic:
            raise InputError(f"{self.network.path}: the network has no geo-reference; probe points cannot be placed")
        x, y = self.network.projection.xy(np.array([p.lon for p in points]), np.array([p.lat for p in points]))
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def candidates(self, x: float, y: float) -> list[Candidate]:
        """Permitted edges within the radius of a point (network coordinates)."""
        found = []
        for edge, distance in self._net.getNeighboringEdges(x, y, self.radius_m, includeJunctions=False):
            edge_id = edge.getID()
            line = self._lines.get(edge_id)
            if line is None or distance > self.radius_m:
                continue
            along = line.project(Point(x, y))
            scale = self.network.edges[edge_id].length / line.length if line.length > 0 else 1.0
            found.append(Candidate(edge_id, along * scale, float(distance), _bearing(line, along)))
        return found

    def match(self, points: Sequence[ProbePoint]) -> list[EdgeMatch | None]:
        """The most likely edge of each point (None when off every road), in input order."""
        coords = self.xy(points)
        layers = [self.candidates(float(x), float(y)) for x, y in coords]
        result: list[EdgeMatch | None] = [None] * len(points)
        start = 0
        while start < len(points):
            if not layers[start]:
                start += 1
                continue
            end = start
            while end + 1 < len(points) and layers[end + 1]:
                end += 1
            self._viterbi(points, coords, layers, start, end, result)
            start = end + 1
        return result

    def _emission(self, point: ProbePoint, candidate: Candidate) -> float:
        score = -0.5 * (candidate.distance_m / self.sigma_m) ** 2
        if point.heading_deg is not None and (point.speed_ms is None or point.speed_ms > 1.0):
            delta = abs((point.heading_deg - candidate.bearing_deg + 180.0) % 360.0 - 180.0)
            score += -0.5 * (delta / self.heading_sigma_deg) ** 2
        return score

    def _driven(self, a: Candidate, b: Candidate) -> float:
        """Distance driven along the network from candidate ``a`` to candidate ``b``, metres."""
        if a.edge == b.edge and b.offset_m >= a.offset_m - 2.0:
            return max(0.0, b.offset_m - a.offset_m)
        ea, eb = self.network.edges[a.edge], self.network.edges[b.edge]
        if ea.to_junction == eb.from_junction:
            # straight across the junction, from the end of one edge to the start of the next
            between = math.dist(ea.shape[-1], eb.shape[0])
        else:
            between = self._distance(ea.to_junction, eb.from_junction)
        return (ea.length - a.offset_m) + between + b.offset_m

    def _viterbi(
        self,
        points: Sequence[ProbePoint],
        coords: np.ndarray,
        layers: list[list[Candidate]],
        start: int,
        end: int,
        result: list[EdgeMatch | None],
    ) -> None:
        scores = [self._emission(points[start], c) for c in layers[start]]
        back: list[list[tuple[int, float]]] = [[(-1, 0.0)] * len(layers[start])]
        for t in range(start + 1, end + 1):
            straight = float(np.hypot(*(coords[t] - coords[t - 1])))
            layer, previous = layers[t], layers[t - 1]
            new_scores, pointers = [], []
            for c in layer:
                best, arg, driven_best = -math.inf, 0, 0.0
                for i, p in enumerate(previous):
                    driven = self._driven(p, c)
                    if not math.isfinite(driven):
                        continue
                    s = scores[i] - abs(driven - straight) / self.beta_m
                    if s > best:
                        best, arg, driven_best = s, i, driven
                new_scores.append(best + self._emission(points[t], c))
                pointers.append((arg, driven_best))
            if all(s == -math.inf for s in new_scores):  # no way between: start afresh here
                self._viterbi(points, coords, layers, start, t - 1, result)
                self._viterbi(points, coords, layers, t, end, result)
                return
            scores = new_scores
            back.append(pointers)
        i = int(np.argmax(scores))
        for t in range(end, start - 1, -1):
            c = layers[t][i]
            arg, driven = back[t - start][i]
            result[t] = EdgeMatch(c.edge, c.offset_m, c.distance_m, driven if t > start else None)
            i = arg


def _bearing(line: LineString, along: float) -> float:
    """Compass bearing (degrees clockwise from north) of a line at a distance along it."""
    a = line.interpolate(max(0.0, along - 1.0))
    b = line.interpolate(min(line.length, along + 1.0))
    dx, dy = b.x - a.x, b.y - a.y
    return math.degrees(math.atan2(dx, dy)) % 360.0
