"""The road graph weighted by live travel times: fastest routes, alternatives and ETAs.

Why networkit. The goals are queries of a millisecond on a network of ~10,000 junctions and
~30,000 edges *and* a new travel time on 10% of the edges visible to the very next query.
Measured here on that network: networkx Dijkstra takes ~25 ms; python-igraph's C Dijkstra
~2.5 ms, most of it converting the 30,000 weights on every call (it keeps no weights between
calls); rustworkx ~3 ms, calling back into Python for every edge weight;
``scipy.sparse.csgraph.dijkstra`` cannot stop at the target. Contraction hierarchies
(pandana, OSRM) answer fast but rebuild for seconds to minutes after an update. networkit
(KIT, C++) runs a bidirectional Dijkstra on its own adjacency arrays (~0.6 ms) and changes a
weight in place (``setWeight``, ~1 µs), so an update of 3,000 edges costs a few milliseconds
and nothing has to be rebuilt.

Landmarks (ALT: A*, landmarks and the triangle inequality; Goldberg & Harrelson 2005) make a
query cheaper still without giving up the instant update: distances to and from 16 landmarks
are computed once on *lower bounds* of the travel times (free flow at 1.25x the limit), so they
stay valid bounds whatever the live times do as long as no edge gets faster than its bound.
One landmark's bound, ``d(v, t) >= d(v, L) - d(t, L)`` (or ``d(L, t) - d(L, v)``), is the
landmark's distance array shifted by a constant, and A* is unchanged by a constant shift of its
potential, so each landmark's array is handed to networkit's A* as it is: no per-query vector.
The query picks the landmark with the best bound on ``d(s, t)``. An edge reported faster than
its bound lowers the bound and sends queries back to the bidirectional Dijkstra until the
landmarks are recomputed in the background (a fraction of a second on 10,000 junctions).

The graph has a vertex per junction and an arc per edge; of parallel edges between the same
two junctions the faster one is the arc (re-chosen when their times change).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkit as nk
import numpy as np

from its.errors import InputError, NoPathError
from its.network import Network

__all__ = ["RoadGraph", "Route"]

_UNREACHABLE = 1e300
#: Lower bounds of travel times are free flow at this multiple of the speed limit.
_SPEEDING = 1.25
#: Landmarks kept at most; fewer on very large graphs (their arrays are Python lists, ~32
#: bytes a junction each, two per landmark) and none on small ones (nothing to gain).
_LANDMARKS = 16
_LANDMARK_BUDGET = 4_000_000
_LANDMARK_MIN_JUNCTIONS = 200


@dataclass(frozen=True)
class Route:
    """A route: its edges in driving order, travel time (s) at the weights it was found with,
    length (m) and free-flow travel time (s).
    """

    edges: tuple[str, ...]
    travel_time_s: float
    length_m: float
    free_flow_time_s: float

    def to_json(self) -> dict[str, object]:
        return {
            "edges": list(self.edges),
            "travel_time_s": round(self.travel_time_s, 1),
            "length_m": round(self.length_m, 1),
            "free_flow_time_s": round(self.free_flow_time_s, 1),
        }


class RoadGraph:
    """A directed road graph whose edge travel times can change between any two queries.

    Parameters
    ----------
    edge_ids
        Edge ids, one per arc.
    sources, targets
        The junction each edge leaves from and arrives at (any hashable ids).
    lengths_m
        Edge lengths, metres.
    free_flow_s
        Travel times at the speed limit, seconds (the initial weights; must be positive).
    landmarks
        How many landmarks to route with; None chooses (16, fewer on huge graphs, none below
        200 junctions), 0 means plain bidirectional Dijkstra.
    """

    def __init__(
        self,
        edge_ids: Sequence[str],
        sources: Sequence[str],
        targets: Sequence[str],
        lengths_m: Sequence[float],
        free_flow_s: Sequence[float],
        *,
        landmarks: int | None = None,
    ) -> None:
        if not (len(edge_ids) == len(sources) == len(targets) == len(lengths_m) == len(free_flow_s)):
            raise InputError("road graph: edge ids, ends, lengths and times must have the same length")
        self.edge_ids = tuple(edge_ids)
        self.index = {edge: i for i, edge in enumerate(self.edge_ids)}
        if len(self.index) != len(self.edge_ids):
            raise InputError("road graph: edge ids must be unique")
        junctions = _locality_order(sorted(set(sources) | set(targets), key=str), sources, targets)
        self.junction_index = {j: i for i, j in enumerate(junctions)}
        self.junctions = tuple(junctions)
        self.tail = np.array([self.junction_index[s] for s in sources], dtype=np.int64)
        self.head = np.array([self.junction_index[t] for t in targets], dtype=np.int64)
        self.length_m = np.asarray(lengths_m, dtype=float)
        self.free_flow_s = np.asarray(free_flow_s, dtype=float)
        _check_times(self.free_flow_s, self.edge_ids)
        self.weights = self.free_flow_s.copy()
        self._lock = threading.RLock()
        # one arc per ordered junction pair; parallel edges share it
        self._arc_members: dict[tuple[int, int], list[int]] = {}
        for i, (u, v) in enumerate(zip(self.tail.tolist(), self.head.tolist(), strict=True)):
            self._arc_members.setdefault((u, v), []).append(i)
        # arcs in (tail, head) order, which is the order of their keys tail * n + head: a
        # path's junctions -> its edges is one searchsorted; _arc_best is the faster edge
        pairs = sorted(self._arc_members)
        self._arc_slot = {pair: k for k, pair in enumerate(pairs)}
        self._arc_keys = np.array([u * len(junctions) + v for u, v in pairs], dtype=np.int64)
        self._arc_best = np.array([min(self._arc_members[p], key=lambda i: self.weights[i]) for p in pairs], dtype=np.int64)
        self._graph = nk.Graph(len(junctions), weighted=True, directed=True)
        for (u, v), best in zip(pairs, self._arc_best.tolist(), strict=True):
            self._graph.addEdge(u, v, float(self.weights[best]))
        self._parallel = {i for members in self._arc_members.values() if len(members) > 1 for i in members}
        self._ends = list(zip(self.tail.tolist(), self.head.tolist(), strict=True))
        self._edge_names = np.array(self.edge_ids, dtype=object)
        # landmarks on lower bounds of the travel times (see the module docstring)
        self.lower_s = self.free_flow_s / _SPEEDING
        if landmarks is None:
            count = min(_LANDMARKS, _LANDMARK_BUDGET // (2 * max(len(junctions), 1)))
            landmarks = count if len(junctions) >= _LANDMARK_MIN_JUNCTIONS else 0
        self._landmark_count = max(0, landmarks)
        self._landmarks: _Landmarks | None = None
        self._landmark_generation = 0
        if self._landmark_count:
            self._landmarks = _Landmarks.build(self._lower_graph(), self._landmark_count)

    @classmethod
    def from_network(cls, network: Network, *, vclass: str = "passenger") -> RoadGraph:
        """The graph of the edges of ``network`` that ``vclass`` may use."""
        edges = [e for e in network.edges.values() if e.permits(vclass) and e.speed > 0]
        if not edges:
            raise InputError(f"{network.path}: no edge permits vehicle class {vclass!r}")
        return cls(
            [e.edge_id for e in edges],
            [e.from_junction for e in edges],
            [e.to_junction for e in edges],
            [e.length for e in edges],
            [max(e.free_flow_time_s, 1e-3) for e in edges],
        )

    # -- weights ------------------------------------------------------------------------------
    def set_travel_times(self, times: Mapping[str, float]) -> int:
        """Give edges new travel times (seconds); the very next query uses them.

        Unknown edge ids are ignored (a feed may know edges this graph leaves out); returns
        how many edges changed.

        Raises
        ------
        InputError
            If a time is not a positive finite number.
        """
        index = self.index
        count = len(times)
        try:  # the common case, every edge known: the loops run in C
            idx = np.fromiter(map(index.__getitem__, times), dtype=np.int64, count=count)
            values = np.fromiter(times.values(), dtype=float, count=count)
        except KeyError:
            known = [(index[e], float(v)) for e, v in times.items() if e in index]
            idx = np.array([i for i, _ in known], dtype=np.int64)
            values = np.array([v for _, v in known], dtype=float)
        return self._set(idx, values)

    def set_travel_times_at(self, indices: Sequence[int] | np.ndarray, times: Sequence[float] | np.ndarray) -> int:
        """:meth:`set_travel_times` by edge index (the order of :attr:`edge_ids`)."""
        return self._set(np.asarray(indices, dtype=np.int64), np.asarray(times, dtype=float))

    def reset(self) -> None:
        """Back to free-flow travel times."""
        self.set_travel_times_at(np.arange(len(self.edge_ids)), self.free_flow_s.copy())

    def _set(self, idx: np.ndarray, values: np.ndarray) -> int:
        if not len(idx):
            return 0
        if not (np.all(np.isfinite(values)) and np.all(values > 0)):
            bad = int(idx[~(np.isfinite(values) & (values > 0))][0])
            raise InputError(f"road graph: travel times must be positive finite seconds (edge {self.edge_ids[bad]!r})")
        order = np.argsort(self.tail[idx], kind="stable")  # by junction: memory is touched in order
        idx, values = idx[order], values[order]
        with self._lock:
            self.weights[idx] = values
            self._push(idx, values)
            below = values < self.lower_s[idx]
            if below.any():
                self._lower_bounds(idx[below], values[below])
        return len(idx)

    def _lower_bounds(self, idx: np.ndarray, values: np.ndarray) -> None:
        """Edges faster than their lower bound: lower it (with headroom, so that a road
        hovering near its limit does not trigger this again) and recompute the landmarks in
        the background; queries use the bidirectional Dijkstra until they are ready.
        """
        self.lower_s[idx] = values / _SPEEDING
        if not self._landmark_count:
            return
        self._landmarks = None
        self._landmark_generation += 1
        generation = self._landmark_generation
        lower_graph = self._lower_graph()

        def rebuild() -> None:
            landmarks = _Landmarks.build(lower_graph, self._landmark_count)
            with self._lock:
                if generation == self._landmark_generation:
                    self._landmarks = landmarks

        threading.Thread(target=rebuild, name="road-graph-landmarks", daemon=True).start()

    def refresh_landmarks(self) -> None:
        """Recompute the landmarks now (after :meth:`set_travel_times` lowered bounds)."""
        with self._lock:
            if self._landmark_count:
                self._landmark_generation += 1
                self._landmarks = _Landmarks.build(self._lower_graph(), self._landmark_count)

    @property
    def uses_landmarks(self) -> bool:
        """Whether queries currently run A* with landmarks (else bidirectional Dijkstra)."""
        return self._landmarks is not None

    def _lower_graph(self) -> nk.Graph:
        graph = nk.Graph(len(self.junctions), weighted=True, directed=True)
        lower = self.lower_s
        for pair, members in self._arc_members.items():
            graph.addEdge(pair[0], pair[1], float(min(lower[m] for m in members)))
        return graph

    def _push(self, indices: Iterable[int] | np.ndarray, values: np.ndarray | None = None) -> None:
        """Copy weights into the networkit graph: one ``setWeight`` per edge (about 1 µs)."""
        idx = np.fromiter(indices, dtype=np.int64) if not isinstance(indices, np.ndarray) else indices
        if values is None:
            values = self.weights[idx]
        # map() calls networkit's setWeight without a Python-level loop body
        deque(map(self._graph.setWeight, self.tail[idx].tolist(), self.head[idx].tolist(), values.tolist()), maxlen=0)
        if self._parallel:  # of parallel edges, the faster one is the arc
            weights = self.weights
            ends = self._ends
            set_weight = self._graph.setWeight
            for i in self._parallel.intersection(idx.tolist()):
                pair = ends[i]
                best = min(self._arc_members[pair], key=lambda m: weights[m])
                self._arc_best[self._arc_slot[pair]] = best
                set_weight(pair[0], pair[1], float(weights[best]))

    # -- queries ------------------------------------------------------------------------------
    def fastest(self, origin: str, destination: str) -> Route:
        """The fastest route between two junctions at the current travel times.

        Raises
        ------
        NoPathError
            If the destination cannot be reached, or a junction is unknown.
        """
        s, t = self._junction(origin, "origin"), self._junction(destination, "destination")
        with self._lock:
            return self._route(s, t, origin, destination)

    def fastest_between_edges(self, origin_edge: str, origin_offset_m: float, destination_edge: str, destination_offset_m: float) -> Route:
        """The fastest route from a point on one edge to a point on another (offsets in metres
        from each edge's start); the partial edges are counted pro rata.
        """
        with self._lock:
            return self._between(origin_edge, origin_offset_m, destination_edge, destination_offset_m)

    def alternatives(
        self,
        origin: str,
        destination: str,
        *,
        k: int = 3,
        penalty: float = 1.5,
        max_overlap: float = 0.7,
        max_stretch: float = 1.6,
    ) -> list[Route]:
        """Up to ``k`` routes: the fastest, then meaningfully different ones.

        The penalty method: the edges of every route found are made ``penalty`` times slower
        and the search repeated; a new route is kept if it shares at most ``max_overlap`` of
        its length with each kept route and takes at most ``max_stretch`` times the fastest's
        travel time (at the true times). Weights are restored before returning.
        """
        s, t = self._junction(origin, "origin"), self._junction(destination, "destination")
        with self._lock:
            best = self._route(s, t, origin, destination)
            return self._alternatives(best, k, penalty, max_overlap, max_stretch, lambda: self._route(s, t, origin, destination))

    def alternatives_between_edges(
        self,
        origin_edge: str,
        origin_offset_m: float,
        destination_edge: str,
        destination_offset_m: float,
        *,
        k: int = 3,
        penalty: float = 1.5,
        max_overlap: float = 0.7,
        max_stretch: float = 1.6,
    ) -> list[Route]:
        """:meth:`alternatives` between points on edges."""
        with self._lock:
            def find() -> Route:
                return self._between(origin_edge, origin_offset_m, destination_edge, destination_offset_m)

            return self._alternatives(find(), k, penalty, max_overlap, max_stretch, find)

    def travel_time(self, edges: Sequence[str]) -> float:
        """Travel time of a given edge sequence at the current weights, seconds."""
        return float(sum(self.weights[self.index[e]] for e in edges))

    def eta(self, route: Route, depart: float, time_at: Callable[[str, float], float] | None = None) -> float:
        """Arrival time of a route leaving at ``depart`` (seconds, any clock).

        With ``time_at(edge, t)`` (an edge's expected travel time when entered at ``t``, e.g.
        from a forecast) the time is accumulated edge by edge; otherwise the route's own
        travel time is added.
        """
        if time_at is None:
            return depart + route.travel_time_s
        t = depart
        for edge in route.edges:
            t += time_at(edge, t)
        return t

    def distance_m(self, origin: str, destination: str) -> float:
        """Length of the fastest route (metres), or infinity if there is none."""
        try:
            return self.fastest(origin, destination).length_m
        except NoPathError:
            return math.inf

    # -- internals ----------------------------------------------------------------------------
    def _junction(self, junction: str, role: str) -> int:
        try:
            return self.junction_index[junction]
        except KeyError:
            raise NoPathError(f"{role} junction {junction!r} is not in the road graph") from None

    def _path(self, s: int, t: int) -> tuple[list[int], float] | None:
        if s == t:
            return [], 0.0
        potential = self._landmarks.potential(s, t) if self._landmarks is not None else None
        if potential is None:
            search = nk.distance.BidirectionalDijkstra(self._graph, s, t, True)
        else:
            search = nk.distance.AStar(self._graph, potential, s, t, True)
        search.run()
        distance = search.getDistance()
        if distance >= _UNREACHABLE:
            return None
        nodes = np.array([s, *search.getPath(), t], dtype=np.int64)
        slots = np.searchsorted(self._arc_keys, nodes[:-1] * len(self.junctions) + nodes[1:])
        return self._arc_best[slots].tolist(), distance

    def _route(self, s: int, t: int, origin: str, destination: str) -> Route:
        found = self._path(s, t)
        if found is None:
            raise NoPathError(f"no road route from junction {origin!r} to junction {destination!r}")
        edges, _ = found
        return self._make(edges)

    def _make(self, edges: list[int], head_fraction: float = 1.0, tail_fraction: float = 1.0) -> Route:
        if not edges:
            return Route((), 0.0, 0.0, 0.0)
        share = np.ones(len(edges))
        share[0] = head_fraction
        share[-1] = tail_fraction if len(edges) > 1 else head_fraction + tail_fraction - 1.0
        idx = np.asarray(edges)
        return Route(
            tuple(self._edge_names[idx].tolist()),
            float(np.dot(self.weights[idx], share)),
            float(np.dot(self.length_m[idx], share)),
            float(np.dot(self.free_flow_s[idx], share)),
        )

    def _between(self, origin_edge: str, origin_offset: float, destination_edge: str, destination_offset: float) -> Route:
        try:
            a, b = self.index[origin_edge], self.index[destination_edge]
        except KeyError as missing:
            raise NoPathError(f"edge {missing.args[0]!r} is not in the road graph (not drivable?)") from None
        la, lb = self.length_m[a], self.length_m[b]
        head = 1.0 - min(max(origin_offset, 0.0), la) / la if la > 0 else 1.0
        tail = min(max(destination_offset, 0.0), lb) / lb if lb > 0 else 1.0
        if a == b and destination_offset >= origin_offset:
            return self._make([a], head_fraction=(destination_offset - origin_offset) / la if la > 0 else 0.0)
        found = self._path(int(self.head[a]), int(self.tail[b]))
        if found is None:
            raise NoPathError(f"no road route from edge {origin_edge!r} to edge {destination_edge!r}")
        return self._make([a, *found[0], b], head_fraction=head, tail_fraction=tail)

    def _alternatives(
        self, best: Route, k: int, penalty: float, max_overlap: float, max_stretch: float, find: Callable[[], Route]
    ) -> list[Route]:
        kept = [best]
        saved = self.weights.copy()
        penalised: set[int] = set()
        try:
            for _ in range(3 * k):
                if len(kept) >= k:
                    break
                for route in kept:
                    for e in route.edges:
                        i = self.index[e]
                        self.weights[i] *= penalty
                        penalised.add(i)
                self._push(list({self.index[e] for r in kept for e in r.edges}))
                candidate = find()
                true_time = float(sum(saved[self.index[e]] for e in candidate.edges))
                true_time -= self._partial_correction(candidate, saved)
                if true_time > max_stretch * best.travel_time_s:
                    break
                if any(candidate.edges == r.edges for r in kept):
                    continue
                if all(_overlap(candidate, r, self) <= max_overlap for r in kept):
                    kept.append(_retimed(candidate, true_time))
        finally:
            self.weights[:] = saved
            self._push(sorted(penalised))
        return kept

    def _partial_correction(self, route: Route, weights: np.ndarray) -> float:
        # the partial first and last edges: what a full-edge sum counts beyond the route
        if not route.edges:
            return 0.0
        full = float(sum(self.length_m[self.index[e]] for e in route.edges))
        if full <= route.length_m + 1e-9:
            return 0.0
        first, last = self.index[route.edges[0]], self.index[route.edges[-1]]
        missing = full - route.length_m
        ends = self.length_m[first] + (self.length_m[last] if last != first else 0.0)
        mean_pace = (weights[first] + (weights[last] if last != first else 0.0)) / ends if ends else 0.0
        return missing * mean_pace


class _Landmarks:
    """Distances from and to a few far-apart junctions on a lower-bound graph, as A* potentials.

    ``forward[k, v]`` is the distance from landmark k to v and ``backward[k, v]`` from v to
    landmark k (infinite where there is no path). Their potentials are kept as Python lists,
    ready for networkit: ``-forward[k]`` and ``backward[k]``, the unreachable entries replaced
    by a constant above every finite distance (which keeps them consistent: a junction that
    reaches, or is reached from, a landmark passes that on along every arc).
    """

    def __init__(self, forward: np.ndarray, backward: np.ndarray) -> None:
        self.forward = forward
        self.backward = backward
        finite = np.concatenate([forward[np.isfinite(forward)], backward[np.isfinite(backward)], [0.0]])
        cap = 2.0 * float(finite.max()) + 1.0
        self._potentials = [(-np.where(np.isfinite(row), row, cap)).tolist() for row in forward]
        self._potentials += [np.where(np.isfinite(row), row, cap).tolist() for row in backward]

    @classmethod
    def build(cls, graph: nk.Graph, count: int) -> _Landmarks:
        """``count`` landmarks chosen farthest-first in the largest strongly connected part:
        each the junction farthest, there and back, from those already chosen.
        """
        reverse = nk.graphtools.transpose(graph)

        def distances(g: nk.Graph, source: int) -> np.ndarray:
            search = nk.distance.Dijkstra(g, source, False, False)
            search.run()
            out = np.asarray(search.getDistances(), dtype=float)
            out[out >= _UNREACHABLE] = np.inf
            return out

        # within the largest strongly connected part, where bounds help most queries
        parts = nk.components.StronglyConnectedComponents(graph)
        parts.run()
        members = max(parts.getComponents(), key=len)
        nearest = np.full(graph.numberOfNodes(), -np.inf)
        start = members[0]
        nearest[members] = distances(graph, start)[members] + distances(reverse, start)[members]
        forward, backward = [], []
        for _ in range(min(count, len(members))):
            landmark = int(np.argmax(nearest))
            forward.append(distances(graph, landmark))
            backward.append(distances(reverse, landmark))
            nearest = np.minimum(nearest, forward[-1] + backward[-1])
        return cls(np.array(forward), np.array(backward))

    def potential(self, s: int, t: int) -> list[float] | None:
        """The potential of the landmark with the best lower bound on ``d(s, t)``, or None if
        no landmark bounds it (then A* would only be a slower Dijkstra).
        """
        with np.errstate(invalid="ignore"):
            ahead = self.forward[:, t] - self.forward[:, s]
            behind = self.backward[:, s] - self.backward[:, t]
        ahead = np.where(np.isfinite(ahead), ahead, -np.inf)
        behind = np.where(np.isfinite(behind), behind, -np.inf)
        i, j = int(np.argmax(ahead)), int(np.argmax(behind))
        best = max(ahead[i], behind[j])
        if not best > 0:
            return None
        return self._potentials[i] if ahead[i] >= behind[j] else self._potentials[len(self.forward) + j]


def _locality_order(junctions: list[str], sources: Sequence[str], targets: Sequence[str]) -> list[str]:
    """Junctions numbered so that neighbours get nearby numbers (reverse Cuthill-McKee): the
    search and the weight updates then touch memory mostly in order (about a quarter faster
    updates on the 10,000-junction benchmark network).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    position = {j: i for i, j in enumerate(junctions)}
    rows = np.array([position[s] for s in sources], dtype=np.int64)
    cols = np.array([position[t] for t in targets], dtype=np.int64)
    n = len(junctions)
    adjacency = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    order = reverse_cuthill_mckee((adjacency + adjacency.T).tocsr(), symmetric_mode=True)
    return [junctions[i] for i in order]


def _overlap(a: Route, b: Route, graph: RoadGraph) -> float:
    shared = set(a.edges) & set(b.edges)
    if not a.length_m:
        return 1.0
    return float(sum(graph.length_m[graph.index[e]] for e in shared)) / a.length_m


def _retimed(route: Route, travel_time_s: float) -> Route:
    return Route(route.edges, travel_time_s, route.length_m, route.free_flow_time_s)


def _check_times(times: np.ndarray, names: Sequence[str]) -> None:
    if len(times) and not (np.all(np.isfinite(times)) and np.all(times > 0)):
        where = f" (e.g. edge {names[0]!r})" if names else ""
        raise InputError(f"road graph: travel times must be positive finite seconds{where}")
