"""Benchmark: road route queries, live weight updates and transit journeys.

Prints (lines containing "ratio" compare with a baseline measured in the same run):

(a) road queries on a generated network of about 10,000 junctions and 30,000 directed
    edges: median and p99 of ours (A* with landmarks on networkit) against networkx
    Dijkstra on the same pairs (goals: median <= 1 ms, p99 <= 10 ms, >= 25x faster);
(b) the cost of a live update: new travel times on 10% of the edges, then the very next
    query, checked against networkx on the new weights (goal: <= 10 ms);
(c) the same queries on a scenario's network (default the county);
(d) transit journeys (RAPTOR) on the scenario's timetable against a time-expanded graph
    searched with networkx Dijkstra (goal: < 50 ms).

Usage: python bench/routing.py [--queries 1000] [--scenario county] [--seed 1]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import bisect
import random
import statistics
import time

import networkx as nx
import numpy as np

from routing.graph import RoadGraph


def generated_network(side: int = 100, seed: int = 1) -> tuple[RoadGraph, nx.DiGraph]:
    """A jittered ``side`` x ``side`` street grid: 15% of blocks missing, 20% of the streets
    one-way; lengths 80-250 m, speeds 8-25 m/s. Returns ours and the networkx twin.
    """
    rng = np.random.default_rng(seed)
    edges = []
    for r in range(side):
        for c in range(side):
            for r2, c2 in ((r, c + 1), (r + 1, c)):
                if r2 >= side or c2 >= side or rng.random() < 0.15:
                    continue
                a, b = f"{r}_{c}", f"{r2}_{c2}"
                length, speed = rng.uniform(80, 250), rng.uniform(8, 25)
                if rng.random() < 0.2:
                    pairs = [(a, b)] if rng.random() < 0.5 else [(b, a)]
                else:
                    pairs = [(a, b), (b, a)]
                edges += [(u, v, length, length / speed) for u, v in pairs]
    ids = [f"e{i}" for i in range(len(edges))]
    graph = RoadGraph(ids, [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges], [e[3] for e in edges])
    reference = nx.DiGraph()
    for edge_id, (u, v, _, t) in zip(ids, edges, strict=True):
        reference.add_edge(u, v, weight=t, id=edge_id)
    return graph, reference


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def road_queries(graph: RoadGraph, reference: nx.DiGraph, pairs: list[tuple[str, str]], baseline_pairs: int, label: str) -> None:
    """Ours on every pair; networkx on the first ``baseline_pairs`` in blocks of 20 right after
    ours on the same block, so that the load of a shared machine hits both alike.
    """
    ours, same, theirs, cpu = [], [], [], []
    block = 20
    for start in range(0, len(pairs), block):
        chunk = pairs[start : start + block]
        answers = []
        for s, t in chunk:
            started, cpu_started = time.perf_counter(), time.thread_time()
            answers.append(graph.fastest(s, t).travel_time_s)
            ours.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)
        if start >= baseline_pairs:
            continue
        same += ours[-len(chunk) :]
        for (s, t), got in zip(chunk, answers, strict=True):
            started = time.perf_counter()
            expected = nx.dijkstra_path_length(reference, s, t)
            theirs.append(time.perf_counter() - started)
            if abs(got - expected) > 1e-6 * max(1.0, expected):
                raise SystemExit(f"wrong answer {s}->{t}: {got} vs networkx {expected}")
    print(f"{label}: {len(graph.junction_index):,} junctions, {len(graph.edge_ids):,} edges, {len(pairs)} queries")
    print(f"  ours      median {statistics.median(ours) * 1e3:.3f} ms   p99 {percentile(ours, 99) * 1e3:.3f} ms   (goal <= 1 ms, <= 10 ms)")
    print(f"            CPU time of this thread: median {statistics.median(cpu) * 1e3:.3f} ms   p99 {percentile(cpu, 99) * 1e3:.3f} ms   (the rest is waiting for a core)")
    print(f"  networkx  median {statistics.median(theirs) * 1e3:.3f} ms   p99 {percentile(theirs, 99) * 1e3:.3f} ms   ({len(theirs)} of the same pairs, in alternating blocks, same answers)")
    print(f"  ratio networkx/ours, median over the same pairs: {statistics.median(theirs) / statistics.median(same):.1f}x (goal >= 25x)")


def live_update(graph: RoadGraph, reference: nx.DiGraph, pairs: list[tuple[str, str]], rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    n = len(graph.edge_ids)
    costs, updates, cpu, checks = [], [], [], 0
    for k in range(rounds):
        chosen = rng.sample(range(n), n // 10)
        times = {graph.edge_ids[i]: float(graph.free_flow_s[i] * rng.uniform(1.0, 4.0)) for i in chosen}
        s, t = pairs[k % len(pairs)]
        started, cpu_started = time.perf_counter(), time.thread_time()
        graph.set_travel_times(times)
        updated = time.perf_counter()
        route = graph.fastest(s, t)
        costs.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - cpu_started)
        updates.append(updated - started)
        if k < 3:  # the very next query saw the new weights
            for _u, _v, data in reference.edges(data=True):
                data["weight"] = float(graph.weights[graph.index[data["id"]]])
            expected = nx.dijkstra_path_length(reference, s, t)
            if abs(route.travel_time_s - expected) > 1e-6 * max(1.0, expected):
                raise SystemExit(f"update not visible: {route.travel_time_s} vs networkx {expected}")
            checks += 1
    query = []
    for s, t in pairs[:rounds]:
        started = time.perf_counter()
        graph.fastest(s, t)
        query.append(time.perf_counter() - started)
    print(f"live update: new travel times on {n // 10:,} edges (10%) then the next query, {rounds} rounds, {checks} checked against networkx")
    print(f"  update + next query  median {statistics.median(costs) * 1e3:.2f} ms   max {max(costs) * 1e3:.2f} ms   (goal <= 10 ms)")
    print(f"  the update alone     median {statistics.median(updates) * 1e3:.2f} ms   (nothing rebuilt: one in-place setWeight per edge)")
    print(f"  CPU time of update + query: median {statistics.median(cpu) * 1e3:.2f} ms   max {max(cpu) * 1e3:.2f} ms")
    print(f"  ratio (update + query)/query alone: {statistics.median(costs) / statistics.median(query):.1f}x")
    graph.reset()


def scenario_benchmarks(name: str, queries: int, seed: int) -> None:
    from api import services
    from its.errors import ITSError
    from its.scenario import load
    from its.settings import get_settings

    try:
        scenario = load(name, settings=get_settings())
        network = services.scenario_network(scenario)
    except ITSError as error:
        print(f"{name}: skipped ({error})")
        return
    graph = RoadGraph.from_network(network)
    reference = nx.MultiDiGraph()
    for i, edge in enumerate(graph.edge_ids):
        reference.add_edge(graph.junctions[graph.tail[i]], graph.junctions[graph.head[i]], weight=float(graph.weights[i]), id=edge)
    component = max(nx.strongly_connected_components(reference), key=len)
    rng = random.Random(seed)
    nodes = sorted(component)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(queries)]
    road_queries(graph, reference, pairs, min(200, queries), f"{name} road network")
    transit_benchmark(services, scenario, rng)


def transit_benchmark(services, scenario, rng: random.Random) -> None:
    from its.errors import ITSError
    from routing.transit import TransitRouter

    try:
        timetable = services.scenario_timetable(scenario)
    except ITSError as error:
        print(f"{scenario.name} transit: skipped ({error})")
        return
    started = time.perf_counter()
    router = TransitRouter(timetable)
    built = time.perf_counter() - started
    stops = [s.stop_id for s in router.stops]
    first = min(t.start_s for t in timetable.trips)
    last = max(t.end_s for t in timetable.trips)
    queries = [(rng.choice(stops), rng.choice(stops), rng.uniform(first, last - 1800)) for _ in range(200)]
    queries = [q for q in queries if q[0] != q[1]]
    ours, found = [], 0
    for a, b, t in queries:
        started = time.perf_counter()
        try:
            router.journey(a, b, t)
            found += 1
        except ITSError:
            pass
        ours.append(time.perf_counter() - started)
    expanded, place = time_expanded(router)
    theirs = []
    for a, b, t in queries[:50]:
        started = time.perf_counter()
        earliest_by_time_expanded(expanded, place, router, a, b, t)
        theirs.append(time.perf_counter() - started)
    print(f"{scenario.name} transit: {len(stops)} stops, {len(timetable.trips)} trips, router built in {built * 1e3:.0f} ms; {len(queries)} queries, {found} answered")
    print(f"  RAPTOR          median {statistics.median(ours) * 1e3:.2f} ms   p99 {percentile(ours, 99) * 1e3:.2f} ms   (goal < 50 ms)")
    print(f"  time-expanded   median {statistics.median(theirs) * 1e3:.2f} ms   (networkx Dijkstra, 50 of the same queries)")
    print(f"  ratio time-expanded/RAPTOR, median: {statistics.median(theirs) / statistics.median(ours[:50]):.1f}x")


def time_expanded(router):
    """The timetable as a time-expanded graph: a node per departure and arrival event."""
    graph = nx.DiGraph()
    events: dict[int, list[float]] = {}
    for pattern in router._patterns:
        for trip in range(len(pattern.trips)):
            for i in range(len(pattern.stops) - 1):
                a, b = pattern.stops[i], pattern.stops[i + 1]
                dep, arr = float(pattern.departures[trip, i]), float(pattern.arrivals[trip, i + 1])
                graph.add_edge(("trip", id(pattern), trip, i), ("trip", id(pattern), trip, i + 1), weight=arr - dep)
                graph.add_edge(("at", a, dep), ("trip", id(pattern), trip, i), weight=0.0)
                graph.add_edge(("trip", id(pattern), trip, i + 1), ("at", b, arr), weight=0.0)
                events.setdefault(a, []).append(dep)
                events.setdefault(b, []).append(arr)
    for stop, times in events.items():
        ordered = sorted(set(times))
        for t1, t2 in zip(ordered, ordered[1:], strict=False):
            graph.add_edge(("at", stop, t1), ("at", stop, t2), weight=t2 - t1)
        for other, walk in router.footpaths[stop]:
            for t1 in ordered:
                later = [t for t in sorted(set(events.get(other, []))) if t >= t1 + walk]
                if later:
                    graph.add_edge(("at", stop, t1), ("at", other, later[0]), weight=later[0] - t1)
    place = {stop: sorted(set(times)) for stop, times in events.items()}
    return graph, place


def earliest_by_time_expanded(graph: nx.DiGraph, place: dict[int, list[float]], router, a: str, b: str, t: float) -> float:
    """Earliest arrival at ``b`` leaving ``a`` at ``t``, by Dijkstra on the time-expanded graph."""
    ia, ib = router.stop_index[a], router.stop_index[b]
    times = place.get(ia, [])
    k = bisect.bisect_left(times, t)
    if k >= len(times):
        return float("inf")
    lengths = nx.single_source_dijkstra_path_length(graph, ("at", ia, times[k]))
    return min((times[k] + d for node, d in lengths.items() if node[0] == "at" and node[1] == ib), default=float("inf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100, help="networkx queries (the same pairs)")
    parser.add_argument("--updates", type=int, default=30)
    parser.add_argument("--scenario", default="county")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    graph, reference = generated_network(seed=args.seed)
    component = max(nx.strongly_connected_components(reference), key=len)
    rng = random.Random(args.seed)
    nodes = sorted(component)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(args.queries)]
    road_queries(graph, reference, pairs, args.baseline, "generated network")
    live_update(graph, reference, pairs, args.updates, args.seed)
    if args.scenario:
        scenario_benchmarks(args.scenario, args.queries, args.seed)


if __name__ == "__main__":
    main()
