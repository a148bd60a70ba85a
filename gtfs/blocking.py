"""Vehicle blocking: the fewest vehicles for a day's trips, then the fewest pull-outs, then the
least idle and deadhead time, as one minimum-cost flow (OR-Tools).

Each trip gives a vehicle back at its arrival (plus the minimum layover) and takes one at
its departure; a vehicle goes from an arrival to a later departure

- *by a waiting line* (the time-space network of Kliewer, Mellouli and Suhl, 2006): the
  departures of each terminal (and interlining group) in time order, linked by waiting
  arcs; a vehicle joins its terminal's line at the first departure after it is ready, or
  deadheads to one of the nearest terminals within the longest deadhead allowed and joins
  that line, and may wait along the line for any later departure. Every connection is
  there with O(trips) arcs, so the optimum is that of the full connection network. Under
  a maximum layover, which a line cannot hold (a vehicle may wait along it for ever), the
  classical *connection* arcs take its place: to the next departures at the terminal and
  at each deadhead target, within the maximum wait;
- *through a depot*: it pulls in, waits at the depot and pulls out again (a new block for
  the same vehicle), to and from the nearest depots. Depot waiting runs along the depot's
  timeline, kept in steps of ``depot_step_s`` (a vehicle back at the depot is ready at
  the next step), with skip arcs (1, 2, 4, ... steps ahead) so that paths stay short:
  cost-scaling flow solvers are slow on long chains, and finer depot times let the fleet
  be bought with many more pull-outs. Waiting lines have skip arcs for the same reason.

Terminals are matched beforehand (see :mod:`gtfs.terminals`); trips of a line that may not
interline only reach departures of the same line. Platform time (pull-in time minus
pull-out time) is costed on the pull-out and pull-in arcs alone. The depots' overnight arcs
cost more than anything else a blocking could save, so the fewest vehicles come first;
then pull-outs and platform time, a pull-out costing more than any day of platform time it
could save unless the rules price it (``pullout_cost_s``).

Blocks longer than the maximum length are re-linked with CP-SAT (:mod:`gtfs.relink`) or,
failing that, split where the vehicle can get to a depot and back.

A big day (more than twice ``region_trips``) is blocked by regions: its lines split by
travel time into regions of at most that many trips, each blocked by its own flow, then
the regions' blocks joined where one's vehicle can go on to another's first trip (a
blocking of the blocks). OR-Tools' cost-scaling flow grows about as n^1.5 on whole city
days; by regions the time grows linearly, for about 1% more vehicles than one flow (on
generated days of 10,000 trips; ``region_trips=None`` blocks the day as one flow).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from gtfs.blocks import Block, BlockingRules, BlockTrip, Depot, Figures, chain_blocks, measure
from gtfs.deadheads import TravelTimes
from gtfs.relink import relink
from its.errors import InfeasibleError, InputError

__all__ = ["Blocking", "block_trips"]

log = logging.getLogger(__name__)

CONNECTION, PULL_OUT, PULL_IN, DEPOT_WAIT, OVERNIGHT, TO_LINE, FROM_LINE, LINE_WAIT = range(8)
_BIG = 1 << 24  # seconds a sort key holds per line (194 days)


@dataclass(frozen=True)
class Blocking:
    """Blocks found for a set of trips, their figures and what could not be met.

    ``vehicles`` is the fleet the depots send out over the day (each may run several
    blocks); ``figures.fleet`` the most vehicles out at once.
    """

    blocks: tuple[Block, ...]
    figures: Figures
    solve_time_s: float
    vehicles: int = 0
    violations: tuple[str, ...] = ()

    def block_of(self) -> dict[str, str]:
        """Each trip id's block id."""
        return {trip: b.block_id for b in self.blocks for trip in b.trips}


@dataclass
class _Arcs:
    tails: list[np.ndarray]
    heads: list[np.ndarray]
    costs: list[np.ndarray]
    caps: list[np.ndarray]
    kinds: list[np.ndarray]

    def add(self, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray | int, caps: np.ndarray | int, kind: int) -> None:
        tails = np.asarray(tails, dtype=np.int64)
        self.tails.append(tails)
        self.heads.append(np.broadcast_to(np.asarray(heads, dtype=np.int64), tails.shape).copy())
        self.costs.append(np.broadcast_to(np.asarray(costs, dtype=np.int64), tails.shape).copy())
        self.caps.append(np.broadcast_to(np.asarray(caps, dtype=np.int64), tails.shape).copy())
        self.kinds.append(np.full(len(tails), kind, dtype=np.int8))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        tails, heads, costs, caps, kinds = (np.concatenate(x) for x in (self.tails, self.heads, self.costs, self.caps, self.kinds))
        return tails, heads, costs, caps, kinds


def block_trips(
    trips: Sequence[BlockTrip],
    travel: TravelTimes,
    rules: BlockingRules = BlockingRules(),
    *,
    depots: Sequence[Depot] = (),
    prefix: str = "b",
    depot_turnaround_s: float = 0.0,
    depot_step_s: float = 300.0,
    connections: int = 12,
    deadhead_connections: int = 3,
    waiting_lines: bool | None = None,
    nearest_depots: int | None = 2,
    region_trips: int | None = 4000,
) -> Blocking:
    """Block ``trips`` under ``rules``.

    Parameters
    ----------
    trips
        The day's trips; their places index ``travel``'s matrices.
    travel
        Deadhead times between places (terminals and depots), by time of day.
    rules
        Layovers, deadheads, interlining, block length and costs.
    depots
        Garages (their places index ``travel`` too); none: blocks start and end at their
        terminals and a vehicle between blocks may go anywhere (see :mod:`gtfs.blocks`).
    prefix
        Block ids are ``prefix`` and a number.
    depot_turnaround_s
        Time a vehicle back at a depot needs before it can pull out again, seconds.
    depot_step_s
        Depot times are kept in steps of this many seconds: a vehicle back at the depot is
        ready at the next step, one pulling out leaves at the step before.
    connections
        Departures at the same terminal an arrival may connect to (the next ones).
    deadhead_connections
        Departures at each deadhead target an arrival may connect to.
    waiting_lines
        Vehicles wait at terminals on waiting lines (exact, O(trips) arcs) rather than
        by connection arcs to the next ``connections`` departures; None: waiting lines
        unless the rules set a maximum layover, which waiting lines cannot hold.
    nearest_depots
        Pull-outs come from, and pull-ins go to, only this many depots nearest to the
        terminal (by deadhead time then); None, or any depot capacity given: all depots.
    region_trips
        A day of more than twice this many trips is blocked by regions of at most this
        many (lines split by travel time, see :func:`_regions`), each exactly, and the
        regions' blocks are then joined across the seams by a blocking of the blocks; None,
        or any depot capacity given: one flow for the whole day. OR-Tools' flow solver
        grows faster than the trips (about n^1.5 on city days); regions keep the growth
        linear at a small price in fleet (under 1% on generated 50,000-trip days).

    Raises
    ------
    InfeasibleError
        If the depots' capacities cannot hold the vehicles the trips need.
    InputError
        If a trip ends before it starts or names a place the travel times do not have.
    """
    started = time.perf_counter()
    if not trips:
        return Blocking((), measure([], [], rules), 0.0)
    bad = [t for t in trips if t.end_s < t.start_s]
    if bad:
        raise InputError(f"trip {bad[0].trip_id} ends before it starts; fix its stop times")
    n_places = travel.stack().shape[1]
    if any(not (0 <= t.start_place < n_places and 0 <= t.end_place < n_places) for t in trips):
        raise InputError(f"a trip names a terminal outside the {n_places} places of the travel-time table")
    if nearest_depots is not None and nearest_depots < 1:
        raise InputError(f"nearest_depots must be at least 1, got {nearest_depots}; give None to offer every depot")
    options = _Options(depot_turnaround_s, depot_step_s, connections, deadhead_connections, waiting_lines, nearest_depots)
    if region_trips is not None and len(trips) > 2 * region_trips and all(d.capacity is None for d in depots):
        plan = _by_region(trips, travel, rules, depots, options, region_trips)
    else:
        plan = _plan(trips, travel, rules, depots, options)
    ids = [f"{prefix}{k + 1}" for k in range(len(plan.chains))]
    last = [max(c, key=lambda k: (trips[k].start_s, trips[k].end_s)) for c, _ in plan.chains]
    blocks = chain_blocks(
        list(zip(ids, [c for c, _ in plan.chains], strict=True)),
        trips,
        rules,
        travel,
        depots,
        depot_of={ids[k]: d for k, (_, d) in enumerate(plan.chains) if d is not None},
        depot_in_of={ids[k]: plan.pull_in[t] for k, t in enumerate(last) if t in plan.pull_in},
    )
    figures = measure(blocks, trips, rules)
    return Blocking(tuple(blocks), figures, time.perf_counter() - started, plan.vehicles, plan.violations)


@dataclass(frozen=True)
class _Options:
    """How the flow is built (see :func:`block_trips`)."""

    depot_turnaround_s: float
    depot_step_s: float
    connections: int
    deadhead_connections: int
    waiting_lines: bool | None
    nearest_depots: int | None


@dataclass(frozen=True)
class _Day:
    """The trips' arrays both kinds of waiting arcs are built from: each trip's departure
    and ready time (arrival plus minimum layover), its interlining group, the line (terminal
    and group) it leaves from and ends on, the deadhead targets (target, seconds per trip)
    and the price per deadhead second."""

    dep_t: np.ndarray
    ready_t: np.ndarray
    grp: np.ndarray
    n_groups: int
    start_line: np.ndarray
    end_line: np.ndarray
    targets: list[tuple[np.ndarray, np.ndarray]]
    penalty: float


@dataclass(frozen=True)
class _Plan:
    """Blocks as trip chains, each with its pull-out depot; the pull-in depot by a block's
    last trip; the vehicles sent out and the rules no split could meet."""

    chains: list[tuple[list[int], Depot | None]]
    pull_in: dict[int, Depot]
    vehicles: int
    violations: tuple[str, ...]


def _plan(trips: Sequence[BlockTrip], travel: TravelTimes, rules: BlockingRules, depots: Sequence[Depot], options: _Options) -> _Plan:
    """Block ``trips`` by one minimum-cost flow (see the module's notes)."""
    n = len(trips)
    start = np.array([t.start_s for t in trips], dtype=float)
    end = np.array([t.end_s for t in trips], dtype=float)
    n_places = travel.stack().shape[1]
    ps = np.array([t.start_place for t in trips], dtype=np.int64)
    pe = np.array([t.end_place for t in trips], dtype=np.int64)
    waiting_lines, nearest_depots = options.waiting_lines, options.nearest_depots
    groups = sorted({rules.group(t.line) for t in trips})
    index = {g: k for k, g in enumerate(groups)}
    grp = np.array([index[rules.group(t.line)] for t in trips], dtype=np.int64)
    n_groups = len(groups)
    dep_t = np.round(start).astype(np.int64)
    ready_t = np.round(end + rules.layover_min_s).astype(np.int64)
    max_wait = None if rules.layover_max_s is None else rules.layover_max_s - rules.layover_min_s

    arcs = _Arcs([], [], [], [], [])
    if waiting_lines is None:
        waiting_lines = max_wait is None
    if waiting_lines and max_wait is not None:
        raise InputError("waiting lines cannot hold a maximum layover; block with connection arcs (waiting_lines=False)")
    targets = list(_deadhead_targets(travel, rules, pe, ready_t, np.unique(ps))) if rules.deadheads and n_places > 1 else []
    day = _Day(dep_t, ready_t, grp, n_groups, ps * n_groups + grp, pe * n_groups + grp, targets, rules.deadhead_penalty)
    if waiting_lines:
        rank = _waiting_lines(arcs, day)
    else:
        rank = None
        _connections(arcs, day, options.connections, options.deadhead_connections, max_wait)
    base = 2 * n

    # depots: pull-outs and pull-ins on a stepped timeline with skip arcs
    depot_list = list(depots) or [Depot("", -1)]
    virtual = not depots
    outs, ins = [], []
    for depot in depot_list:
        if virtual:
            po = np.zeros(n, dtype=np.int64)
            pi = np.zeros(n, dtype=np.int64)
        else:
            po = _times(travel, np.full(n, depot.place), ps, dep_t)
            pi = _times(travel, pe, np.full(n, depot.place), ready_t)
        outs.append((dep_t - po, po))
        ins.append((ready_t + pi, pi))
    if nearest_depots is not None and all(d.capacity is None for d in depot_list) and nearest_depots < len(depot_list):
        # each trip's pull-out from and pull-in to its nearest depots only (when no capacity
        # could make the farther ones needed): n x depots arcs would make the solver slow.
        # A trip may also pull in where it may pull out: else a remote terminal whose
        # nearest depots serve no one else, with more arrivals than departures, would
        # strand a vehicle there and leave the flow without a solution
        use_out = _nearest(np.stack([o[1] for o in outs]), nearest_depots)
        use_in = _nearest(np.stack([i[1] for i in ins]), nearest_depots) | use_out
    else:
        use_out = use_in = np.ones((len(depot_list), n), dtype=bool)
    tails, heads, kinds, flows, firsts = _depot_flow(
        arcs, n, base, outs, ins, depot_list, rules, use_out, use_in, step=max(int(options.depot_step_s), 1), turnaround=int(options.depot_turnaround_s)
    )
    vehicles = int(flows[kinds == OVERNIGHT].sum())

    chains = _chains(flows, tails, heads, kinds, n, firsts, depot_list, virtual, rank)
    real_depots = [] if virtual else depot_list
    repaired, violations = _repair(chains, trips, rules, travel, real_depots)
    if len(repaired) > len(chains) or violations:
        # the flow cannot hold a maximum block length: re-link its pieces with CP-SAT
        linked = relink([c for c, _ in chains], trips, rules, travel, real_depots, fleet=vehicles)
        if linked is not None:
            depot_of_trip = {trip: depot for chain, depot in chains for trip in chain}
            again, problems = _repair([(c, depot_of_trip[c[0]]) for c in linked], trips, rules, travel, real_depots)
            if (len(problems), len(again)) <= (len(violations), len(repaired)):
                repaired, violations = again, problems
    # where the flow pulls each block in (not always where it pulled out)
    back = np.flatnonzero((flows > 0) & (kinds == PULL_IN))
    pull_in = {} if virtual else {int(tails[a]): depot_list[int(np.searchsorted(firsts, heads[a], side="right") - 1)] for a in back}
    return _Plan(repaired, pull_in, vehicles, tuple(violations))


def _by_region(
    trips: Sequence[BlockTrip], travel: TravelTimes, rules: BlockingRules, depots: Sequence[Depot], options: _Options, size: int
) -> _Plan:
    """Block each region's trips by its own flow, then join the regions' blocks where a
    block's vehicle can go on to another's first trip: a blocking of the blocks, each one
    trip from its first departure to its last arrival (all its trips are of one
    interlining group). The seams lose the connections between regions inside a block,
    never a trip."""
    # the regions' depots give way to those of the join, which sends out every block again
    ordered: list[list[int]] = []
    violations: list[str] = []
    for region in _regions(trips, travel, size):
        plan = _plan([trips[k] for k in region], travel, rules, depots, options)
        ordered += [sorted((region[k] for k in chain), key=lambda k: (trips[k].start_s, trips[k].end_s)) for chain, _ in plan.chains]
        violations += plan.violations
    whole = [
        BlockTrip(str(b), trips[c[0]].line, trips[c[0]].start_s, trips[c[-1]].end_s, trips[c[0]].start_place, trips[c[-1]].end_place)
        for b, c in enumerate(ordered)
    ]
    joined = _plan(whole, travel, rules, depots, options)
    return _Plan(
        [([k for b in chain for k in ordered[b]], depot) for chain, depot in joined.chains],
        {ordered[b][-1]: depot for b, depot in joined.pull_in.items()},
        joined.vehicles,
        (*violations, *joined.violations),
    )


def _regions(trips: Sequence[BlockTrip], travel: TravelTimes, size: int) -> list[list[int]]:
    """Trip indices by region: the lines split in two by travel time again and again
    (recursive bisection along the axis between the two lines farthest apart, at the
    median trip) until no region has more than ``size`` trips. A line stays whole.

    Written here: a k-d split on a travel-time "axis" needs only the deadhead matrix (no
    coordinates, no clustering library), and halving by trips keeps regions even.
    """
    fastest = travel.stack().min(axis=0).astype(float)
    fastest = np.minimum(fastest, fastest.T)  # symmetric: the nearer way
    finite = fastest[np.isfinite(fastest)]
    fastest[~np.isfinite(fastest)] = 2 * float(finite.max()) if len(finite) else 0.0
    by_line: dict[str, list[int]] = {}
    for k, t in enumerate(trips):
        by_line.setdefault(t.line, []).append(k)
    lines = list(by_line.values())
    # a line's place: the terminal where most of its trips start
    anchor = np.array([np.bincount([trips[k].start_place for k in ks]).argmax() for ks in lines])
    weight = np.array([len(ks) for ks in lines])
    out: list[list[int]] = []
    stack = [np.arange(len(lines))]
    while stack:
        group = stack.pop()
        if weight[group].sum() <= size or len(group) < 2:
            out.append(sorted(k for g in group for k in lines[g]))
            continue
        places = anchor[group]
        a = places[np.argmax(fastest[places[0], places])]
        b = places[np.argmax(fastest[a, places])]
        order = group[np.argsort(fastest[a, places] - fastest[b, places], kind="stable")]
        cut = int(np.searchsorted(np.cumsum(weight[order]), weight[group].sum() / 2))
        cut = min(max(cut, 1), len(order) - 1)
        stack += [order[:cut], order[cut:]]
    return out


def _nearest(seconds: np.ndarray, near: int) -> np.ndarray:
    """For each trip (column), whether each depot (row) is among its ``near`` nearest."""
    return np.argsort(np.argsort(seconds, axis=0, kind="stable"), axis=0, kind="stable") < near


def _depot_flow(
    line_arcs: _Arcs,
    n: int,
    base: int,
    outs: list[tuple[np.ndarray, np.ndarray]],
    ins: list[tuple[np.ndarray, np.ndarray]],
    depot_list: Sequence[Depot],
    rules: BlockingRules,
    use_out: np.ndarray,
    use_in: np.ndarray,
    *,
    step: int,
    turnaround: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add each depot's timeline, pull-outs (``use_out``) and pull-ins (``use_in``) to the
    waiting arcs and solve; returns (tails, heads, kinds, flows, each depot's first node).

    Times and costs count only the pull-outs and pull-ins offered, so that a depot out of
    reach (its time a sentinel of days) does not inflate them.
    """
    arcs = _Arcs(*(list(x) for x in (line_arcs.tails, line_arcs.heads, line_arcs.costs, line_arcs.caps, line_arcs.kinds)))
    penalty = rules.deadhead_penalty
    t1 = max(int(back[use].max()) for (back, _), use in zip(ins, use_in, strict=True) if use.any())
    t0 = min(int(leave[use].min()) for (leave, _), use in zip(outs, use_out, strict=True) if use.any())
    pullout = (
        round(rules.pullout_cost_s)
        if rules.pullout_cost_s is not None
        else int((t1 - t0) * (1.0 + penalty) * 2) + 1  # dearer than any platform time it could save
    )
    firsts, lasts = [], []
    for d in range(len(depot_list)):
        leave, po = outs[d]
        back, pi = ins[d]
        o, i = np.flatnonzero(use_out[d]), np.flatnonzero(use_in[d])
        # the depot's timeline in steps: a vehicle back is ready at the next step
        back_ready = -(-(back + turnaround) // step) * step
        times = np.unique(np.concatenate([leave[o] // step * step, back_ready[i]])) if len(o) + len(i) else np.zeros(1, dtype=np.int64)
        first = base
        base += len(times)
        k_out = np.searchsorted(times, leave // step * step)
        k_in = np.searchsorted(times, back_ready)
        # platform time of a block is its pull-in time minus its pull-out time
        arcs.add(first + k_out[o], n + o, (pullout + (t1 - leave) + np.round(po * penalty))[o], 1, PULL_OUT)
        arcs.add(i, first + k_in[i], ((back - t1) + np.round(pi * penalty))[i], 1, PULL_IN)
        span = 1
        while span < len(times):
            k = np.arange(len(times) - span)
            arcs.add(first + k, first + k + span, 0, n, DEPOT_WAIT)
            span *= 2
        firsts.append(first)
        lasts.append(first + len(times) - 1)
    capacity = np.array([d.capacity if d.capacity is not None else n for d in depot_list], dtype=np.int64)
    arcs.add(np.array(lasts), np.array(firsts), 0, capacity, OVERNIGHT)
    tails, heads, costs, caps, kinds = arcs.arrays()
    supplies = np.zeros(base, dtype=np.int64)
    supplies[:n] = 1
    supplies[n : 2 * n] = -1
    overnight = np.flatnonzero(kinds == OVERNIGHT)
    if rules.vehicle_cost_s is not None:
        costs[overnight] = round(rules.vehicle_cost_s)
    else:
        # a vehicle dearer than all else any blocking could save: each trip leaves and
        # takes one vehicle, by one arc each
        costs[overnight] = 4 * n * int(np.abs(costs).max()) + 1
        if int(costs[overnight[0]]) * (base + 1) >= 1 << 62:
            # too dear for the solver's integer costs: fewest vehicles first, then the rest
            # with each depot's vehicles held
            first_costs = np.zeros_like(costs)
            first_costs[overnight] = 1
            fleet = _solve(tails, heads, caps, first_costs, supplies, depots=depot_list)[overnight]
            caps[overnight] = fleet
            costs[overnight] = 0
    flows = _solve(tails, heads, caps, costs, supplies, depots=depot_list)
    return tails, heads, kinds, flows, np.array(firsts)


def _connections(arcs: _Arcs, day: _Day, connections: int, deadhead_connections: int, max_wait: float | None) -> None:
    """Connection arcs from each arrival to the next departures at its terminal and at the
    deadhead targets, within the maximum wait."""
    dep_t, ready_t, grp, start_line = day.dep_t, day.ready_t, day.grp, day.start_line
    n = len(dep_t)

    def forward(t: np.ndarray, h: np.ndarray) -> np.ndarray:
        # a trip follows only a trip that starts before it (trips of no duration never loop)
        return (dep_t[h] > dep_t[t]) | ((dep_t[h] == dep_t[t]) & (h > t))

    tails, heads, _ = _next_departures(day.end_line, ready_t, start_line, dep_t, connections, max_wait)
    keep = forward(tails, heads)
    arcs.add(tails[keep], n + heads[keep], 0, 1, CONNECTION)
    for target, seconds in day.targets:
        ok = np.isfinite(seconds)
        drive = np.where(ok, seconds, 0).astype(np.int64)
        t, h, _ = _next_departures(np.where(ok, target * day.n_groups + grp, -1), ready_t + drive, start_line, dep_t, deadhead_connections, max_wait)
        keep = forward(t, h)
        arcs.add(t[keep], n + h[keep], np.round(drive[t[keep]] * day.penalty), 1, CONNECTION)


def _waiting_lines(arcs: _Arcs, day: _Day) -> np.ndarray:
    """Waiting lines (the time-space network of Kliewer, Mellouli and Suhl 2006): the
    departures of each terminal and interlining group in time order, each trip's start
    node linked to the next one's by a waiting arc; a vehicle joins its terminal's line at
    the first departure after it is ready (or a deadhead target's line, after the drive)
    and may wait along it. Every arrival reaches every later departure of its lines, so
    the optimum is that of connection arcs to all of them, with O(trips) arcs.

    The waiting arcs skip 1, 2, 4, ... departures ahead, so that paths stay short:
    cost-scaling flow solvers are slow on long chains. Within one second, the arrival of a
    trip of no duration comes after its own departure and before the departures of later
    trips only, so that no trip follows itself. Returns each departure's place in line
    order (lines one after another).
    """
    dep_t, ready_t, grp, start_line = day.dep_t, day.ready_t, day.grp, day.start_line
    n = len(dep_t)
    tails = [np.arange(n)]
    lines = [day.end_line]
    times = [ready_t]
    subs = [np.where(ready_t == dep_t, 2 * np.arange(n) + 2, 0)]
    costs = [np.zeros(n, dtype=np.int64)]
    for target, seconds in day.targets:
        ok = np.flatnonzero(np.isfinite(seconds))
        drive = seconds[ok].astype(np.int64)  # at least 1 s: after the trip's own departure
        tails.append(ok)
        lines.append(target[ok] * day.n_groups + grp[ok])
        times.append(ready_t[ok] + drive)
        subs.append(np.zeros(len(ok), dtype=np.int64))
        costs.append(np.round(drive * day.penalty).astype(np.int64))
    n_arrivals = sum(len(t) for t in tails)
    line = np.concatenate([*lines, start_line])
    order = np.lexsort((np.concatenate([*subs, 2 * np.arange(n) + 1]), np.concatenate([*times, dep_t]), line))
    # the departures in line order, and for each arrival the first departure after it
    is_departure = order >= n_arrivals
    position = np.where(is_departure, np.arange(len(order)), len(order))
    next_departure = np.minimum.accumulate(position[::-1])[::-1]
    joins = np.flatnonzero(~is_departure & (next_departure < len(order)))
    joins = joins[line[order[joins]] == line[order[next_departure[joins]]]]
    arrival = order[joins]
    arcs.add(np.concatenate(tails)[arrival], n + order[next_departure[joins]] - n_arrivals, np.concatenate(costs)[arrival], 1, TO_LINE)
    departures = order[is_departure] - n_arrivals
    span = 1
    while span < n:
        k = np.flatnonzero(start_line[departures[span:]] == start_line[departures[:-span]])
        if not len(k):
            break
        arcs.add(n + departures[k], n + departures[k + span], 0, n, LINE_WAIT)
        span *= 2
    rank = np.empty(n, dtype=np.int64)
    rank[departures] = np.arange(n)
    return rank


def _next_departures(
    line: np.ndarray, at: np.ndarray, dep_line: np.ndarray, dep_t: np.ndarray, count: int, max_wait: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (line, time), the next ``count`` departures on that line at or after the time.

    Returns (row, trip, wait) triples; ``line`` -1 asks for nothing.
    """
    keys = dep_line * _BIG + dep_t
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    probe = line * _BIG + at
    position = np.searchsorted(sorted_keys, probe, side="left")
    rows, trips_, waits = [], [], []
    for r in range(count):
        idx = position + r
        ok = (line >= 0) & (idx < len(sorted_keys))
        idx = np.where(ok, idx, 0)
        ok &= sorted_keys[idx] // _BIG == line
        wait = sorted_keys[idx] - probe
        if max_wait is not None:
            ok &= wait <= max_wait
        rows.append(np.flatnonzero(ok))
        trips_.append(order[idx[ok]])
        waits.append(wait[ok])
    return np.concatenate(rows), np.concatenate(trips_), np.concatenate(waits)


def _deadhead_targets(
    travel: TravelTimes, rules: BlockingRules, pe: np.ndarray, ready_t: np.ndarray, departs: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """For each of the nearest terminals: (target per trip, deadhead seconds; inf if none)."""
    stack = travel.stack()
    n_places = stack.shape[1]
    fastest = stack.min(axis=0).astype(float)
    np.fill_diagonal(fastest, np.inf)
    # only terminals some trip leaves from (not depots, nor another region's terminals)
    fastest[:, np.setdiff1d(np.arange(n_places), departs)] = np.inf
    k = min(rules.deadhead_targets, len(departs))
    nearest = np.argsort(fastest, axis=1, kind="stable")[:, :k]
    slot = travel.slot_of(ready_t.astype(float))
    for q in range(k):
        target = nearest[pe, q]
        seconds = np.maximum(stack[slot, pe, target].astype(float), 1.0)
        seconds[(target == pe) | (seconds > rules.max_deadhead_s) | ~np.isfinite(fastest[pe, target])] = np.inf
        yield target, seconds


def _times(travel: TravelTimes, origin: np.ndarray, destination: np.ndarray, at: np.ndarray) -> np.ndarray:
    stack = travel.stack()
    slot = travel.slot_of(np.asarray(at, dtype=float))
    seconds = stack[slot, origin, destination]
    # an unreachable depot gets a time no schedule would use
    return np.where(np.isfinite(seconds), np.ceil(seconds), 10 * 86_400).astype(np.int64)


def _solve(
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    supplies: np.ndarray,
    *,
    depots: Sequence[Depot],
) -> np.ndarray:
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        if status == solver.INFEASIBLE:
            held = ", ".join(f"{d.depot_id} ({d.capacity})" for d in depots if d.capacity is not None)
            raise InfeasibleError(
                f"the depots cannot hold the vehicles these trips need (capacities: {held or 'none given'}); "
                "raise a depot's capacity or add a depot"
            )
        raise InfeasibleError(f"the blocking flow could not be solved (OR-Tools status {status})")
    return np.asarray(solver.flows(arcs), dtype=np.int64)


def _chains(
    flows: np.ndarray,
    tails: np.ndarray,
    heads: np.ndarray,
    kinds: np.ndarray,
    n: int,
    firsts: np.ndarray,
    depots: Sequence[Depot],
    virtual: bool,
    rank: np.ndarray | None = None,
) -> list[tuple[list[int], Depot | None]]:
    """Blocks read off the flow: from each pull-out along the connections to a pull-in.

    On the waiting lines (``rank``: each departure's place in line order, lines one after
    another), vehicles leave in the order they joined (first in, first out): the k-th
    vehicle to join a line takes its k-th departure not served by a pull-out, which the
    flow's balance at each departure makes feasible.
    """
    used = flows > 0
    link = used & (kinds == CONNECTION)
    succ = np.full(n, -1, dtype=np.int64)
    succ[tails[link]] = heads[link] - n
    outs = np.flatnonzero(used & (kinds == PULL_OUT))
    if rank is not None:
        joins = np.flatnonzero(used & (kinds == TO_LINE))
        joins = joins[np.argsort(rank[heads[joins] - n], kind="stable")]
        waited = np.ones(n, dtype=bool)
        waited[heads[outs] - n] = False
        leaves = np.flatnonzero(waited)
        succ[tails[joins]] = leaves[np.argsort(rank[leaves], kind="stable")]
    chains: list[tuple[list[int], Depot | None]] = []
    for arc in outs:
        trip = int(heads[arc] - n)
        depot = None if virtual else depots[int(np.searchsorted(firsts, tails[arc], side="right") - 1)]
        chain = []
        while trip >= 0:
            chain.append(trip)
            trip = int(succ[trip])
        chains.append((chain, depot))
    return chains


def _repair(
    chains: list[tuple[list[int], Depot | None]],
    trips: Sequence[BlockTrip],
    rules: BlockingRules,
    travel: TravelTimes,
    depots: Sequence[Depot],
) -> tuple[list[tuple[list[int], Depot | None]], list[str]]:
    """Split waits longer than the maximum layover and blocks longer than the maximum, at
    gaps where the vehicle can reach a depot and come back; report what cannot be split."""
    if rules.layover_max_s is None and rules.max_block_s is None:
        return chains, []
    stack = travel.stack()

    def round_trip(a: int, b: int) -> float:
        """Seconds to pull in after trip a and pull out again before trip b."""
        if not depots:
            return 0.0
        ready = trips[a].end_s + rules.layover_min_s
        s_in = stack[int(travel.slot_of(np.array([ready]))[0])]
        s_out = stack[int(travel.slot_of(np.array([trips[b].start_s]))[0])]
        return float(min(s_in[trips[a].end_place, d.place] + s_out[d.place, trips[b].start_place] for d in depots))

    def depot_time(k: int, *, out: bool) -> float:
        if not depots:
            return 0.0
        t = trips[k]
        at = t.start_s if out else t.end_s + rules.layover_min_s
        s = stack[int(travel.slot_of(np.array([at]))[0])]
        return float(min(s[d.place, t.start_place] if out else s[t.end_place, d.place] for d in depots))

    result: list[tuple[list[int], Depot | None]] = []
    violations: list[str] = []
    for chain, depot in chains:
        order = sorted(chain, key=lambda k: trips[k].start_s)
        pieces: list[list[int]] = [[order[0]]]
        for a, b in zip(order, order[1:], strict=False):
            wait = trips[b].start_s - (trips[a].end_s + rules.layover_min_s)
            if trips[a].end_place != trips[b].start_place:
                wait -= float(stack[int(travel.slot_of(np.array([trips[a].end_s]))[0]), trips[a].end_place, trips[b].start_place])
            if rules.layover_max_s is not None and wait > rules.layover_max_s - rules.layover_min_s + 1e-6:
                if wait + rules.layover_min_s >= round_trip(a, b):
                    pieces.append([b])
                    continue
                violations.append(
                    f"trips {trips[a].trip_id} and {trips[b].trip_id}: a wait of {wait / 60:.0f} min exceeds the maximum "
                    f"layover but is too short to go to the depot and back"
                )
            pieces[-1].append(b)
        if rules.max_block_s is not None:
            pieces = [p for piece in pieces for p in _cut(piece, trips, rules, rules.max_block_s, round_trip, depot_time)]
            for piece in pieces:
                span = _span(piece, trips, rules, depot_time)
                if span > rules.max_block_s + 1e-6:
                    violations.append(
                        f"the block of trips {trips[piece[0]].trip_id} to {trips[piece[-1]].trip_id} lasts "
                        f"{span / 3600:.2f} h, longer than the maximum {rules.max_block_s / 3600:g} h, and has no gap "
                        "where the vehicle could go back to the depot"
                    )
        result.extend((piece, depot) for piece in pieces)
    return result, violations


def _span(chain: list[int], trips: Sequence[BlockTrip], rules: BlockingRules, depot_time: Callable[..., float]) -> float:
    last, first = trips[chain[-1]], trips[chain[0]]
    return last.end_s + rules.layover_min_s + depot_time(chain[-1], out=False) - (first.start_s - depot_time(chain[0], out=True))


def _cut(
    piece: list[int],
    trips: Sequence[BlockTrip],
    rules: BlockingRules,
    limit: float,
    round_trip: Callable[[int, int], float],
    depot_time: Callable[..., float],
) -> list[list[int]]:
    """Cut a chain into blocks within ``limit`` seconds, each as long as it can be."""
    out: list[list[int]] = []
    current = [piece[0]]
    for b in piece[1:]:
        chain = [*current, b]
        if _span(chain, trips, rules, depot_time) <= limit:
            current = chain
            continue
        cuts = [
            j
            for j in range(len(chain) - 1, 0, -1)
            if trips[chain[j]].start_s - (trips[chain[j - 1]].end_s + rules.layover_min_s) >= round_trip(chain[j - 1], chain[j])
        ]
        fits = [j for j in cuts if _span(chain[j:], trips, rules, depot_time) <= limit]
        j = fits[0] if fits else (cuts[0] if cuts else None)
        if j is None:
            current = chain
            continue
        out.append(chain[:j])
        current = chain[j:]
    out.append(current)
    return out
