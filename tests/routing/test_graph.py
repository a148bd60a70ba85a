"""The road graph against networkx on random graphs (hypothesis), live updates, alternatives."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from its.errors import InputError, NoPathError
from routing.graph import RoadGraph


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 12))
    arcs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.5, 100.0, allow_nan=False)),
            min_size=1,
            max_size=45,
        )
    )
    arcs = [(a, b, w) for a, b, w in arcs if a != b]
    if not arcs:
        arcs = [(0, 1, 1.0)]
    return n, arcs


def _build(arcs, landmarks=None):
    ids = [f"e{i}" for i in range(len(arcs))]
    graph = RoadGraph(
        ids,
        [f"j{a}" for a, _, _ in arcs],
        [f"j{b}" for _, b, _ in arcs],
        [w * 10 for _, _, w in arcs],
        [w for _, _, w in arcs],
        landmarks=landmarks,
    )
    reference = nx.MultiDiGraph()
    for i, (a, b, w) in enumerate(arcs):
        reference.add_edge(f"j{a}", f"j{b}", key=ids[i], weight=w)
    return graph, reference


def _check_against(graph: RoadGraph, reference: nx.MultiDiGraph) -> None:
    for source in graph.junctions:
        lengths = nx.single_source_dijkstra_path_length(reference, source)
        for target in graph.junctions:
            if target not in lengths:
                with pytest.raises(NoPathError):
                    graph.fastest(source, target)
                continue
            route = graph.fastest(source, target)
            assert route.travel_time_s == pytest.approx(lengths[target], rel=1e-9, abs=1e-9)
            # the edges form a connected path from source to target and add up to the time
            position = source
            total = 0.0
            for edge in route.edges:
                i = graph.index[edge]
                assert graph.junctions[graph.tail[i]] == position
                position = graph.junctions[graph.head[i]]
                total += graph.weights[i]
            assert position == target
            assert total == pytest.approx(route.travel_time_s)


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from([0, 3]))
def test_fastest_routes_match_networkx(case, landmarks):
    _, arcs = case
    graph, reference = _build(arcs, landmarks)
    assert graph.uses_landmarks == bool(landmarks)
    _check_against(graph, reference)


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data(), st.sampled_from([0, 3]))
def test_updated_travel_times_are_used_by_the_next_query(case, data, landmarks):
    # times drawn from 0.5 s: many below the landmarks' lower bounds (free flow / 1.25),
    # which must send queries to the exact fallback until the landmarks are rebuilt
    _, arcs = case
    graph, reference = _build(arcs, landmarks)
    changed = data.draw(st.lists(st.integers(0, len(arcs) - 1), unique=True, max_size=len(arcs)))
    times = {f"e{i}": data.draw(st.floats(0.5, 200.0)) for i in changed}
    assert graph.set_travel_times(times) == len(times)
    for _u, _v, key, attrs in reference.edges(keys=True, data=True):
        if key in times:
            attrs["weight"] = times[key]
    _check_against(graph, reference)
    if landmarks:
        graph.refresh_landmarks()  # rebuilt on the lowered bounds: exact again with A*
        assert graph.uses_landmarks
        _check_against(graph, reference)
    graph.reset()
    assert np.array_equal(graph.weights, graph.free_flow_s)


def test_landmarks_fall_back_when_an_edge_beats_its_bound_and_rebuild_in_the_background():
    import time

    rng = np.random.default_rng(5)
    side = 16  # 256 junctions: landmarks by default
    arcs = []
    for r in range(side):
        for c in range(side):
            for r2, c2 in ((r, c + 1), (r + 1, c)):
                if r2 < side and c2 < side:
                    arcs += [(r * side + c, r2 * side + c2, float(rng.uniform(5, 20))), (r2 * side + c2, r * side + c, float(rng.uniform(5, 20)))]
    graph, reference = _build(arcs)
    assert graph.uses_landmarks
    pairs = [(f"j{a}", f"j{b}") for a, b in rng.integers(0, side * side, size=(40, 2))]
    for s, t in pairs:
        assert graph.fastest(s, t).travel_time_s == pytest.approx(nx.dijkstra_path_length(reference, s, t))
    # a fast corridor: a tenth of free flow, far below the bound
    fast = {f"e{i}": arcs[i][2] / 10 for i in range(0, len(arcs), 7)}
    graph.set_travel_times(fast)
    for _u, _v, key, attrs in reference.edges(keys=True, data=True):
        attrs["weight"] = fast.get(key, attrs["weight"])
    for s, t in pairs:  # exact whether or not the rebuild has finished
        assert graph.fastest(s, t).travel_time_s == pytest.approx(nx.dijkstra_path_length(reference, s, t))
    deadline = time.monotonic() + 10
    while not graph.uses_landmarks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert graph.uses_landmarks
    for s, t in pairs:
        assert graph.fastest(s, t).travel_time_s == pytest.approx(nx.dijkstra_path_length(reference, s, t))


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_alternatives_are_distinct_valid_and_no_faster_than_the_best(case):
    _, arcs = case
    graph, reference = _build(arcs)
    before = graph.weights.copy()
    for source in graph.junctions[:3]:
        for target in graph.junctions[-3:]:
            if source == target or not nx.has_path(reference, source, target):
                continue
            routes = graph.alternatives(source, target, k=3)
            best = nx.dijkstra_path_length(reference, source, target)
            assert routes[0].travel_time_s == pytest.approx(best)
            assert len({r.edges for r in routes}) == len(routes)
            for r in routes:
                assert r.travel_time_s >= best - 1e-9
                assert r.travel_time_s == pytest.approx(graph.travel_time(r.edges))
                assert r.travel_time_s <= 1.6 * best + 1e-9
    assert np.array_equal(graph.weights, before)  # penalties undone


def _grid():
    # a 3 x 3 grid of two-way streets, 100 m blocks at 10 m/s
    edges, sources, targets = [], [], []
    for r in range(3):
        for c in range(3):
            for dr, dc in ((0, 1), (1, 0)):
                r2, c2 = r + dr, c + dc
                if r2 < 3 and c2 < 3:
                    for a, b in (((r, c), (r2, c2)), ((r2, c2), (r, c))):
                        edges.append(f"{a[0]}{a[1]}-{b[0]}{b[1]}")
                        sources.append(f"{a[0]}{a[1]}")
                        targets.append(f"{b[0]}{b[1]}")
    return RoadGraph(edges, sources, targets, [100.0] * len(edges), [10.0] * len(edges))


def test_congestion_moves_the_route_and_the_alternatives_differ():
    graph = _grid()
    route = graph.fastest("00", "22")
    assert route.travel_time_s == pytest.approx(40.0) and route.length_m == pytest.approx(400.0)
    graph.set_travel_times(dict.fromkeys(route.edges, 100.0))
    detour = graph.fastest("00", "22")
    assert not set(detour.edges) & set(route.edges)
    assert detour.travel_time_s == pytest.approx(40.0)
    graph.reset()
    routes = graph.alternatives("00", "22", k=3)
    assert len(routes) == 3
    assert all(r.travel_time_s == pytest.approx(40.0) for r in routes)


def test_partial_edges_and_eta():
    graph = _grid()
    route = graph.fastest_between_edges("00-01", 30.0, "12-22", 40.0)
    assert route.edges[0] == "00-01" and route.edges[-1] == "12-22"
    assert route.length_m == pytest.approx(70 + 100 + 100 + 40)
    assert route.travel_time_s == pytest.approx(31.0)
    same = graph.fastest_between_edges("00-01", 10.0, "00-01", 60.0)
    assert same.edges == ("00-01",) and same.length_m == pytest.approx(50.0)
    assert graph.eta(route, 1000.0) == pytest.approx(1031.0)
    assert graph.eta(route, 1000.0, lambda edge, t: 20.0) == pytest.approx(1000.0 + 20.0 * len(route.edges))


def test_errors():
    graph = _grid()
    with pytest.raises(NoPathError, match="not in the road graph"):
        graph.fastest("00", "99")
    with pytest.raises(InputError, match="positive finite"):
        graph.set_travel_times({"00-01": -1.0})
    with pytest.raises(InputError, match="positive finite"):
        graph.set_travel_times({"00-01": math.nan})
    assert graph.set_travel_times({"not-an-edge": 5.0}) == 0
    one_way = RoadGraph(["a"], ["x"], ["y"], [10.0], [1.0])
    with pytest.raises(NoPathError, match="no road route"):
        one_way.fastest("y", "x")


def test_from_network_uses_drivable_edges(tiny):
    from api.services import scenario_network

    network = scenario_network(tiny)
    graph = RoadGraph.from_network(network)
    assert set(graph.edge_ids) <= set(network.edges)
    reference = nx.MultiDiGraph()
    for e in network.edges.values():
        if e.edge_id in graph.index:
            reference.add_edge(e.from_junction, e.to_junction, weight=e.length / e.speed)
    compared = 0
    for a in graph.junctions:
        lengths = nx.single_source_dijkstra_path_length(reference, a)
        for b, expected in lengths.items():
            assert graph.fastest(a, b).travel_time_s == pytest.approx(expected)
            compared += 1
    assert compared > len(graph.junctions) ** 2 / 2
