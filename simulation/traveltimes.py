"""Road travel times between places by time of day: fastest paths on a SUMO network, edges
timed at free flow or at the speeds a simulation measured (its edgeData) slot by slot.

Used for deadheads in transit scheduling (composed in ``api/services.py``): the scheduler
asks how long a bus takes from one terminal or depot to another, leaving at a given time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely import STRtree
from shapely.geometry import LineString, Point

from its.errors import ScenarioError
from its.network import read_network

__all__ = ["road_travel_times"]


def road_travel_times(
    net_file: Path,
    points: Sequence[tuple[float, float]],
    *,
    edges: pd.DataFrame | None = None,
    slot_s: float = 3600.0,
    vclass: str = "bus",
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest-path seconds between ``points`` (lon, lat) for each time-of-day slot.

    Each point is placed on the nearest edge ``vclass`` may use. Without ``edges`` every
    edge is timed at its speed limit (one slot starting at 0); with a simulation's edge data
    (columns ``begin``, ``edge``, ``speed_ms``), each slot of ``slot_s`` seconds times the
    edges at their mean measured speed in that slot (the speed limit where none was
    measured). Returns (slot starts in seconds, times of shape (slots, points, points));
    ``inf`` where no road leads.

    Raises
    ------
    ScenarioError
        If the network has no geo-reference (points cannot be placed).
    """
    network = read_network(net_file)
    if not network.projection.geographic:
        raise ScenarioError(f"{net_file}: the network has no geo-reference, so stops cannot be placed on it")
    ids = [e for e, edge in network.edges.items() if edge.permits(vclass) and len(edge.shape) >= 2]
    index = {e: k for k, e in enumerate(ids)}
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    x, y = network.projection.xy(lon, lat)
    tree = STRtree([LineString(network.edges[e].shape) for e in ids])
    nearest = tree.nearest([Point(a, b) for a, b in zip(np.atleast_1d(x), np.atleast_1d(y), strict=True)])
    rows, cols = [], []
    for e in ids:
        for f in network.successors.get(e, ()):
            if f in index:
                rows.append(index[e])
                cols.append(index[f])
    length = np.array([network.edges[e].length for e in ids])
    limit = np.array([max(network.edges[e].speed, 0.1) for e in ids])
    slots: list[tuple[float, np.ndarray]] = [(0.0, limit)]
    if edges is not None and not edges.empty:
        measured = edges.dropna(subset=["speed_ms"])
        measured = measured[measured["speed_ms"] > 0.1]
        slot = (measured["begin"] // slot_s * slot_s).to_numpy()
        slots = []
        for start in np.unique(slot):
            mean = measured[slot == start].groupby("edge")["speed_ms"].mean()
            speed = limit.copy()
            known = [index[e] for e in mean.index if e in index]
            speed[known] = np.minimum(mean[[e for e in mean.index if e in index]].to_numpy(), limit[known])
            slots.append((float(start), speed))
    starts = np.array([s for s, _ in slots])
    times = np.empty((len(slots), len(points), len(points)))
    for k, (_, speed) in enumerate(slots):
        cost = length / speed
        graph = csr_matrix((cost[cols], (rows, cols)), shape=(len(ids), len(ids)))
        reach = dijkstra(graph, directed=True, indices=nearest)
        # leave the first edge halfway and arrive halfway along the last
        times[k] = reach[:, nearest] + cost[nearest][:, None] / 2 - cost[nearest][None, :] / 2
        np.fill_diagonal(times[k], 0.0)
    return starts, np.maximum(times, 0.0)
