"""Re-linking pieces of work into blocks with CP-SAT, for the rules a flow cannot hold: a
maximum block length and a maximum layover.

The flow's blocks are cut at their longest gaps (where the vehicle could go to the depot and
back) into *pieces*; CP-SAT then links pieces into blocks again: each piece has at most one
successor and one predecessor, a link needs the time to reach the next start (minimum
layover, deadhead) and no longer a wait than the maximum layover, every block keeps within
the maximum length from pull-out to pull-in, and the vehicles out at once (pieces, the
waits between linked pieces, pull-outs and pull-ins) never exceed the fleet the flow found.
It minimises pull-outs first, then platform time, starting from the flow's own blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from gtfs.blocks import BlockingRules, BlockTrip, Depot
from gtfs.deadheads import TravelTimes

__all__ = ["relink"]


@dataclass(frozen=True)
class _Piece:
    trips: tuple[int, ...]
    start: int
    ready: int  # last arrival + minimum layover
    start_place: int
    end_place: int
    group: str
    pull_out: int  # seconds from the nearest depot to the first terminal
    pull_in: int


def _pieces(
    chains: Sequence[Sequence[int]],
    trips: Sequence[BlockTrip],
    rules: BlockingRules,
    travel: TravelTimes,
    depots: Sequence[Depot],
    max_pieces: int,
) -> list[_Piece]:
    """Cut chains at their longest gaps (where a depot round trip fits) into at most
    ``max_pieces`` pieces, and at every gap longer than the maximum layover."""
    stack = travel.stack()

    def depot_time(place: int, at: float, *, out: bool) -> int:
        if not depots:
            return 0
        s = stack[int(travel.slot_of(np.array([at]))[0])]
        return int(min(s[d.place, place] if out else s[place, d.place] for d in depots))

    gaps: list[tuple[float, int, int]] = []  # (length, chain, position)
    orders = [sorted(c, key=lambda k: trips[k].start_s) for c in chains]
    forced: set[tuple[int, int]] = set()
    for c, order in enumerate(orders):
        for p in range(1, len(order)):
            a, b = trips[order[p - 1]], trips[order[p]]
            gap = b.start_s - (a.end_s + rules.layover_min_s)
            trip_time = depot_time(a.end_place, a.end_s + rules.layover_min_s, out=False) + depot_time(b.start_place, b.start_s, out=True)
            if gap < trip_time:
                continue
            gaps.append((gap, c, p))
            if rules.layover_max_s is not None and gap > rules.layover_max_s - rules.layover_min_s:
                forced.add((c, p))
    gaps.sort(reverse=True)
    budget = max(max_pieces - len(orders), 0)
    cuts = forced | {(c, p) for _, c, p in gaps[:budget]}
    pieces: list[_Piece] = []
    for c, order in enumerate(orders):
        bounds = [0, *sorted(p for cc, p in cuts if cc == c), len(order)]
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            if lo == hi:
                continue
            part = order[lo:hi]
            first, last = trips[part[0]], trips[part[-1]]
            ready = last.end_s + rules.layover_min_s
            pieces.append(
                _Piece(
                    tuple(part),
                    int(round(first.start_s)),
                    int(round(ready)),
                    first.start_place,
                    last.end_place,
                    rules.group(first.line),
                    depot_time(first.start_place, first.start_s, out=True),
                    depot_time(last.end_place, ready, out=False),
                )
            )
    return pieces


def relink(
    chains: Sequence[Sequence[int]],
    trips: Sequence[BlockTrip],
    rules: BlockingRules,
    travel: TravelTimes,
    depots: Sequence[Depot],
    *,
    fleet: int,
    max_pieces: int = 150,
    time_limit_s: float = 5.0,
) -> list[list[int]] | None:
    """Link the chains' pieces into blocks that keep the maximum length and layover.

    Returns the new chains (trip indices), or None when CP-SAT finds no solution within
    ``time_limit_s`` (the caller keeps its own blocks).
    """
    pieces = _pieces(chains, trips, rules, travel, depots, max_pieces)
    stack = travel.stack()
    n = len(pieces)
    penalty = 1.0 + rules.deadhead_penalty
    model = cp_model.CpModel()
    lo = min(p.start - p.pull_out for p in pieces)
    hi = max(p.ready + p.pull_in for p in pieces)
    limit = int(rules.max_block_s) if rules.max_block_s is not None else hi - lo
    arcs: dict[tuple[int, int], tuple[cp_model.IntVar, int, int]] = {}  # (i, j) -> (var, wait, deadhead)
    by_start = sorted(range(n), key=lambda k: pieces[k].start)
    starts = np.array([pieces[k].start for k in by_start])
    for i, a in enumerate(pieces):
        slot = int(travel.slot_of(np.array([a.ready], dtype=float))[0])
        for j in by_start[int(np.searchsorted(starts, a.ready)) :]:
            b = pieces[j]
            if j == i or b.group != a.group or b.ready - (a.start - a.pull_out) + b.pull_in > limit:
                continue
            drive = 0
            if a.end_place != b.start_place:
                seconds = float(stack[slot, a.end_place, b.start_place])
                if not rules.deadheads or not np.isfinite(seconds) or seconds > rules.max_deadhead_s:
                    continue
                drive = int(np.ceil(seconds))
            wait = b.start - a.ready - drive
            if wait < 0 or (rules.layover_max_s is not None and wait > rules.layover_max_s - rules.layover_min_s):
                continue
            arcs[(i, j)] = (model.new_bool_var(f"x{i}_{j}"), wait, drive)
    succ: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
    pred: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
    for (i, j), (x, _, _) in arcs.items():
        succ[i].append(x)
        pred[j].append(x)
    first = [model.new_bool_var(f"first{k}") for k in range(n)]
    last = [model.new_bool_var(f"last{k}") for k in range(n)]
    block_start = [model.new_int_var(lo, hi, f"bs{k}") for k in range(n)]
    for k, p in enumerate(pieces):
        model.add(sum(pred[k]) + first[k] == 1)
        model.add(sum(succ[k]) + last[k] == 1)
        model.add(block_start[k] == p.start - p.pull_out).only_enforce_if(first[k])
        model.add(p.ready - block_start[k] <= limit)
        model.add(p.ready + p.pull_in - block_start[k] <= limit).only_enforce_if(last[k])
    for (i, j), (x, _, _) in arcs.items():
        model.add(block_start[j] == block_start[i]).only_enforce_if(x)
    intervals = []
    for k, p in enumerate(pieces):
        intervals.append(model.new_fixed_size_interval_var(p.start, max(p.ready - p.start, 0), f"piece{k}"))
        if p.pull_out:
            intervals.append(model.new_optional_fixed_size_interval_var(p.start - p.pull_out, p.pull_out, first[k], f"out{k}"))
        if p.pull_in:
            intervals.append(model.new_optional_fixed_size_interval_var(p.ready, p.pull_in, last[k], f"in{k}"))
    for (i, j), (x, _, _) in arcs.items():
        if pieces[j].start > pieces[i].ready:
            intervals.append(model.new_optional_fixed_size_interval_var(pieces[i].ready, pieces[j].start - pieces[i].ready, x, f"link{i}_{j}"))
    demands = [1] * len(intervals)
    model.add_cumulative(intervals, demands, fleet)
    platform = sum((wait + int(round(drive * penalty))) * x for x, wait, drive in arcs.values())
    platform += sum(int(round(p.pull_out * penalty)) * first[k] + int(round(p.pull_in * penalty)) * last[k] for k, p in enumerate(pieces))
    pullout_cost = int(rules.pullout_cost_s) if rules.pullout_cost_s is not None else fleet * (hi - lo) * 2 + 1
    model.minimize(pullout_cost * sum(first) + platform)
    # start from the flow's blocks
    piece_of_trip = {trip: k for k, p in enumerate(pieces) for trip in p.trips}
    for chain in chains:
        order = sorted(chain, key=lambda t: trips[t].start_s)
        ks = list(dict.fromkeys(piece_of_trip[t] for t in order))
        for a, b in zip(ks, ks[1:], strict=False):
            if (a, b) in arcs:
                model.add_hint(arcs[(a, b)][0], 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    nxt = {i: j for (i, j), (x, _, _) in arcs.items() if solver.boolean_value(x)}
    heads = [k for k in range(n) if solver.boolean_value(first[k])]
    result = []
    for k in heads:
        chain: list[int] = []
        while True:
            chain.extend(pieces[k].trips)
            if k not in nxt:
                break
            k = nxt[k]
        result.append(chain)
    return result
