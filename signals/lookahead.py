"""Our adaptive controller: rolling-horizon delay minimisation with predicted arrivals.

Every ``decide_every_s`` seconds each signal predicts, lane by lane, when the vehicles now on
its approaches (back to the previous signal) reach the stop line: queued vehicles at once,
moving ones at their approach speed. A point-queue model then prices every two-stage plan
over the horizon (30 s, or up to 60 s while the queues standing now take longer to
serve) -- keep the current green for ``g`` seconds (``g`` = 0 means switch now),
then serve another green -- as the vehicle-seconds spent queued, plus a penalty per stop and
a cost for every vehicle still queued at the horizon; a switch loses the yellow, all-red and
start-up time. The signal switches when the cheapest plan starts with another green.
Vehicles weigh more the longer they have waited, so light approaches are not starved;
links into a full outgoing lane count as not served and are held red inside the green that
serves them (spill-back guard, exit blockage); optionally (``yield_feeds``), vehicles held
up giving way at an unsignalised junction on an approach weigh against keeping green the
links that release the traffic they give way to. Vehicles upstream count in the lane their
route takes at the signal, and not at all when it turns off before (``turn_intent``); on a
single-lane road, behind a vehicle waiting for a red turn (``fifo``). The greens it chooses
among are the shipped program's and split phases (one approach with all its turns
protected, see :func:`signals.phases.split_greens`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from signals.adaptive import HALTING_SPEED, NOT_HERE, UNKNOWN, Observation, SignalState
from signals.approach import Approach
from signals.model import GREEN, Intergreens
from signals.phases import Timing, clearance_s

__all__ = ["Lookahead"]

#: Acceleration of a car starting from a queue, m/s^2 (SUMO's default passenger car).
ACCEL = 2.6


@dataclass(frozen=True)
class Lookahead:
    """Rolling-horizon controller (the method ``lookahead``).

    Parameters
    ----------
    decide_every_s
        Seconds between decisions once the minimum green is over.
    headway_s
        Saturation headway per lane, seconds (2,100 veh/h/lane at 1.7 s, about what SUMO's
        default cars achieve; a shorter headway also makes the controller switch sooner).
    permissive
        Share of the saturation flow a permissive (``g``) link achieves.
    startup_s
        Start-up lost time of a green that starts from red, seconds.
    horizon_s, max_horizon_s, clearing_factor
        How far ahead arrivals are predicted and plans priced, seconds: ``horizon_s``, or,
        when serving the queues standing now takes longer, ``clearing_factor`` times that, up
        to ``max_horizon_s`` (see :meth:`_steps`). With ``max_horizon_s`` equal to
        ``horizon_s`` it stays at 30 s. At the defaults (60 s, factor 1) ingolstadt1 runs
        12.5 s of delay against 13.3 s at 30 s, RiLSA example 3 116 s against 137 s (85.5 s
        with factor 1.5, which cost cologne3 11%); the other benchmark maps change by 1-2%.
    dt_s
        Time step of the queue model, seconds.
    stop_s
        Extra cost of a stop (deceleration and acceleration), seconds.
    terminal_s
        Cost of each vehicle still queued at the horizon, seconds.
    wait_weight_s
        A vehicle that has waited this long weighs twice.
    first_s
        Lengths tried for the first stage (keeping the current green), seconds; 0 is
        "switch now".
    second_s
        Lengths tried for the second stage of a plan, seconds.
    candidates
        How many other greens (those with the most demand) plans may serve.
    max_green_s
        Longest green while other greens have demand (``timing.max_green_s`` if shorter).
    uses_neighbours
        Also predict the vehicles an upstream signal under the same controller releases
        towards this one until the end of the green that signal plans (see
        :meth:`_released`), from its own observation. Off by default: on held-out seeds
        101-105 it takes cologne3 from 17.02 to 16.39 s of delay, cologne8 from 14.04 to
        13.94, arterial4x4 from 608 to 603 (2,171 vehicles through, not 2,155), ingolstadt7
        18.24 to 18.30, but grid4x4 from 16.98 to 17.73. Without the planned end (assuming
        the green lasts until the queue is gone) it was worse on every map.
    stuck_s
        A vehicle on an approach that has waited this long while not in the queue behind
        the stop line (held up at an unsignalised junction upstream, e.g. waiting for a gap
        to turn) makes the signal change at its next decision, to open gaps (with
        ``yield_feeds``, only while the green shows links releasing the traffic it gives
        way to).
    held_min_s, held_weight
        Vehicles held up like that for at least ``held_min_s`` cost ``held_weight`` times
        their (waiting-weighted) count for every second the current green is kept (with
        ``yield_feeds``, until the links releasing the traffic they give way to are red).
    yield_feeds
        Price held-up vehicles that give way to traffic this signal releases
        (``Approach.yield_feeds``) by the time until none of the links releasing it is
        green, not until any change; and let them force a change (``stuck_s``) only while
        those links are green. Off by default: on held-out seeds 101-105 it takes cologne3
        from 17.02 s of delay to 16.55 s (cologne1, ingolstadt1, ingolstadt7 within 0.05 s;
        grid4x4 and arterial4x4 have no unsignalised junctions; cologne8 14.04 -> 14.23),
        but on its training seeds 1-5 from 16.75 s to 17.02 s, and on ingolstadt21 seed 103
        ends in the lock of two signals 12 m apart that the spill-back guard exists for
        (58.9 s -> 81.7 s over seeds 101-105; see the README).
    queue_gap_m
        Largest space between queued vehicles that still counts as one queue, metres.
    spill_share, spill_weight
        Vehicles of an approach whose queue reaches ``spill_share`` of the way back to the
        nearest junction upstream where roads merge or split weigh ``spill_weight`` times as
        much: a queue backing up through that junction blocks the traffic crossing there,
        and without teleports that can lock a loop of roads for good (spill-back guard).
        Junctions nearer than ``spill_min_m`` to the stop line leave no room to guard.
    split_phases
        Also serve split phases beyond the shipped program's greens (one approach with all
        its turns protected, see :func:`signals.phases.split_greens`).
    exit_blockage
        Hold red (after a yellow) the links into an outgoing lane with no room left, inside
        the green that serves them, so no vehicle is let into a junction it cannot leave
        (see :meth:`gate`).
    turn_intent
        Count each vehicle upstream of the stop-line lanes in the lane of the link its route
        takes here, and not at all when its route turns off before the signal (read from
        the simulation: the turning intent a connected-vehicle feed or a digital twin
        knows; see :meth:`_targets`). Off, each is shared evenly among its edge's lanes,
        which is all loop detectors and a tracker without intents can tell. On held-out
        seeds 101-105 it takes cologne3 from 17.02 s of delay to 15.15 s (16.21 without
        ``fifo``), ingolstadt1 from 12.60 to 11.94, ingolstadt7 from 18.24 to 17.57,
        ingolstadt21 from 58.9 to 58.4, cologne8 from 14.04 to 14.19; cologne1 14.03 to
        14.02; grid4x4 and arterial4x4 have no road upstream of their stop-line edges
        and are unchanged.
    fifo
        With ``turn_intent``: on a single-lane road upstream (``Approach.fifo``), a vehicle
        behind one standing in the queue counts in that one's lane when it is served by
        fewer greens: it cannot pass it to reach its own lane.
    lane_changes
        With ``turn_intent``: count a vehicle on a stop-line lane whose link here leaves
        from another lane (it has yet to change lanes) in that lane, not in the one it is on
        (``Observation.lane_intent``). Off by default: on held-out seeds 101-105 it lets
        2,204 vehicles through arterial4x4 instead of 2,155 (whose left-turn queue at nt3
        fills the next lane with vehicles waiting to merge), but moves delay elsewhere only
        as much as the seeds do, and locked ingolstadt21 on 2 of seeds 101-115.
    learned_turns
        Without ``turn_intent``: share each vehicle upstream among the incoming lanes as the
        vehicles seen on its lane so far went (the rest turning off before the signal;
        learned by following them, as a video or radar tracker can, from a prior of even
        shares; see ``AdaptiveController._learn``). Off by default (intents do better where
        the simulation knows routes); on held-out seeds 101-105 with ``turn_intent`` off it
        gives cologne3 15.82 s (none of seeds 1-30 and 101-115 locked), ingolstadt1 12.40,
        ingolstadt7 17.55, cologne1 14.12, cologne8 14.11, but ingolstadt21 65.8 (seed 102
        94 s, against 58.4 with intents). Counting as turned off a vehicle that vanished
        near the stop line (it may have passed unseen during a change) locked 4 of those 45
        cologne3 seeds.
    pedestrian_weight
        Everyone waiting at a crossing's end weighs this much against a queued vehicle (more
        the longer they have waited, by ``wait_weight_s``): each plan costs their weight for
        every second until it shows a green walking their crossing, and a green that walks
        a crossing with someone waiting is a candidate even without vehicles. 0 leaves
        pedestrians to the walk on call and the longest wait
        (``Timing.max_pedestrian_wait_s``). Counting everyone's delay, walking or driving
        (1.3 people a car), 0.5 did best of 0, 0.5, 1 and 2 on a random and a spider
        netgenerate network with crossings and within 0.4% of 1 on a grid (see the
        README); the benchmark maps have no crossings.
    """

    decide_every_s: float = 1.0
    headway_s: float = 1.7
    permissive: float = 0.5
    startup_s: float = 2.0
    horizon_s: float = 30.0
    dt_s: float = 1.0
    stop_s: float = 0.0
    terminal_s: float = 15.0
    wait_weight_s: float = 120.0
    max_horizon_s: float = 60.0
    clearing_factor: float = 1.0
    first_s: tuple[float, ...] = (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 35, 40, 50, 60)
    second_s: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0, 40.0)
    candidates: int = 3
    max_green_s: float = 40.0
    uses_neighbours: bool = False
    stuck_s: float = 60.0
    held_min_s: float = 5.0
    held_weight: float = 1.5
    yield_feeds: bool = False
    queue_gap_m: float = 20.0
    spill_share: float = 1.0
    spill_weight: float = 1.5
    spill_min_m: float = 0.0
    split_phases: bool = True
    exit_blockage: bool = True
    turn_intent: bool = True
    fifo: bool = True
    learned_turns: bool = False
    lane_changes: bool = False
    pedestrian_weight: float = 0.5

    def gate(self, approach: Approach, obs: Observation) -> frozenset[int]:
        """State indices with a link into a full outgoing lane (see :func:`_full_lanes`).

        A vehicle let in there stops inside the junction, on the paths of the traffic
        crossing it; between two signals a short link apart that locks both for good
        without teleports (ingolstadt21's 30503246 and 30624898, 15 m apart). An index
        that also serves lanes with room is held all the same: the signal cannot tell its
        vehicles apart."""
        full = _full_lanes(approach, obs)
        return frozenset(index for _, j, index in approach.links if j in full)

    def choose(self, approach: Approach, obs: Observation, state: SignalState, timing: Timing) -> int:
        n_phases = len(approach.greens)
        current = state.current
        if n_phases < 2:
            return current
        longest_s = max(self.horizon_s, self.max_horizon_s)
        arrivals = self._arrivals(approach, obs, max(1, int(round(longest_s / self.dt_s))))  # (T, L)
        capacity = self._capacity(approach, obs) * self.dt_s  # (P, L) vehicles per step
        demand = (capacity > 0) @ arrivals.sum(axis=0)
        walkers: dict[int, float] = {}
        if self.pedestrian_weight > 0:
            for crossing, wait in obs.walkers:
                walkers[crossing] = walkers.get(crossing, 0.0) + (1.0 + wait / self.wait_weight_s) * self.pedestrian_weight
        if walkers:
            walks = np.array([[g[c] in GREEN for c in walkers] for g in approach.greens], dtype=float)
            demand = demand + walks @ np.array(list(walkers.values()))
        green_for = obs.time - state.green_since
        held = [(w, feeds) for w, feeds in self._held_up(approach, obs) if w >= self.held_min_s]
        longest = min(self.max_green_s, timing.max_green_s)
        must_switch = green_for >= longest or any(
            w >= self.stuck_s and _serves(approach.greens[current], feeds) for w, feeds in held
        )
        order = [int(p) for p in np.argsort(-demand, kind="stable") if p != current and demand[p] > 0]
        if not order:
            state.planned_until = float("inf")  # nothing else to serve: the green stays
            return current
        chosen = tuple(sorted(order[: self.candidates]))
        steps = self._steps(approach, arrivals, capacity, (current, *chosen), timing)
        arrivals = arrivals[:steps]
        plans, firsts = _plans(
            approach.greens,
            current,
            chosen,
            timing,
            steps,
            self.dt_s,
            self.startup_s,
            self.first_s,
            self.second_s,
            approach.intergreens,
        )
        extended = np.concatenate(
            [capacity, np.minimum(capacity[:, None, :], capacity[None, :, :]).reshape(-1, capacity.shape[1])]
        )
        rates = extended[plans]  # (plans, T, L)
        # point queues of every plan at once (Lindley: q_t = max(0, q_t-1 + a_t - r_t)
        # = S_t - min(0, min_{s<=t} S_s) with S the cumulative arrivals minus service)
        net_flow = np.cumsum(arrivals[None, :, :] - rates, axis=1)
        queues = net_flow - np.minimum(np.minimum.accumulate(net_flow, axis=1), 0.0)
        cost = queues.sum(axis=(1, 2)) * self.dt_s + self.terminal_s * queues[:, -1, :].sum(axis=1)
        if self.stop_s:
            before = np.concatenate([np.zeros_like(queues[:, :1]), queues[:, :-1]], axis=1)
            stopped = (before > 1e-9) | (rates <= 0)
            cost += self.stop_s * (stopped * arrivals[None, :, :]).sum(axis=(1, 2))
        if held and self.held_weight:
            # held-up vehicles go when a change stops the traffic they wait for a gap in:
            # the traffic of the links ``feeds`` once none of them is green, any change when
            # the traffic is not released here (unknown)
            weights: dict[tuple[int, ...], float] = {}
            for w, feeds in held:
                weights[feeds] = weights.get(feeds, 0.0) + (1.0 + w / self.wait_weight_s) * self.held_weight
            for feeds, weight in weights.items():
                until = firsts if not feeds else _until_red(approach.greens, plans, feeds)
                cost += weight * until * self.dt_s
        for crossing, weight in walkers.items():
            cost += weight * _until_green(approach.greens, plans, crossing) * self.dt_s
        if must_switch:
            cost[firsts != 0] = np.inf
        best = int(np.argmin(cost))
        if firsts[best] == 0:
            target = _target(plans, best, n_phases)
            state.planned_until = obs.time + _green_end(plans[best], target) * self.dt_s
            return target
        state.planned_until = obs.time + firsts[best] * self.dt_s
        return current

    def _steps(
        self, approach: Approach, arrivals: np.ndarray, capacity: np.ndarray, greens: tuple[int, ...], timing: Timing
    ) -> int:
        """Steps of the horizon: ``horizon_s``, unless serving the queues standing now takes
        longer (each green in turn until its longest queue is gone, with the change before
        it); then ``clearing_factor`` times that, at most ``max_horizon_s``. An
        oversaturated junction's queues outlast a short horizon, and plans priced over it
        switch too often for the time each change loses (RiLSA example 3 with its own
        staging: 137 s of delay at 30 s, 116 s at the defaults)."""
        short = max(1, int(round(self.horizon_s / self.dt_s)))
        if self.max_horizon_s <= self.horizon_s:
            return short
        standing = arrivals[0]
        total = 0.0
        for before, p in zip((greens[-1], *greens[:-1]), greens, strict=True):
            served = capacity[p] > 0
            if served.any():
                total += float((standing[served] / capacity[p][served]).max()) * self.dt_s
            if before != p:  # one green alone has no change
                total += clearance_s(approach.greens[before], approach.greens[p], timing, intergreens=approach.intergreens) + self.startup_s
        if total <= self.horizon_s:
            return short
        longest = max(short, int(round(self.max_horizon_s / self.dt_s)))
        return min(longest, int(np.ceil(total * self.clearing_factor / self.dt_s)))

    def _queue_ends(self, approach: Approach, obs: Observation) -> list[float]:
        """Per incoming edge: how far back (metres) the queue from the stop line reaches."""
        ends = []
        for k, lanes in enumerate(approach.edge_lanes):
            halted = sorted(d for i in lanes for d, v, _ in obs.lanes[i] if v < HALTING_SPEED)
            halted += sorted(d for d, v, _ in obs.upstream[k] if v < HALTING_SPEED)
            end = 0.0
            for d in sorted(halted):
                if d > end + self.queue_gap_m:
                    break
                end = d
            ends.append(end)
        return ends

    def _held_up(self, approach: Approach, obs: Observation) -> list[tuple[float, tuple[int, ...]]]:
        """The vehicles on the approaches held up somewhere other than the queue behind the
        stop line (inside an unsignalised junction, or standing beyond the end of the
        queue): they wait for a gap in other traffic. Each as its waiting time and the state
        indices releasing the traffic it gives way to (``Approach.yield_feeds``; empty when
        this signal does not release it, or it is not known). Without ``yield_feeds`` every
        one of them is of the unknown kind."""
        yielding = obs.yielding if self.yield_feeds else []
        ends: list[float] = []

        def beyond_queue(k: int, d: float) -> bool:
            if not ends:  # the queue ends only when someone stands on an approach (hot path)
                ends.extend(self._queue_ends(approach, obs))
            return d > ends[k] + self.queue_gap_m

        known = {(k, d, wait) for k, d, wait, _ in yielding}
        held = [(wait, feeds) for k, d, wait, feeds in yielding if wait > 0 and beyond_queue(k, d)]
        gap_known = {(k, wait) for k, _, wait, _ in yielding}
        held += [(wait, ()) for k, v, wait in obs.gap if v < HALTING_SPEED and (k, wait) not in gap_known]
        for k, vehicles in enumerate(obs.upstream):
            for d, v, wait in vehicles:
                if v < HALTING_SPEED and wait > 0 and (k, d, wait) not in known and beyond_queue(k, d):
                    held.append((wait, ()))
        return held

    def _arrivals(self, approach: Approach, obs: Observation, steps: int) -> np.ndarray:
        """Weighted vehicles reaching each lane's stop line in each step of the horizon.

        Queued vehicles arrive at once; moving ones at their approach speed; vehicles
        standing beyond the end of the queue (held up elsewhere) as if they moved freely.
        """
        out = np.zeros((steps, len(approach.lanes)))
        dt = self.dt_s
        ends = self._queue_ends(approach, obs)
        weight = [
            self.spill_weight if self.spill_min_m <= far <= end / self.spill_share else 1.0
            for end, far in zip(ends, approach.junction_m, strict=True)
        ]
        intents = self.lane_changes and self.turn_intent and len(obs.lane_intent) == len(obs.lanes)
        for i, vehicles in enumerate(obs.lanes):
            speed = approach.lane_speed[i]
            reach = ends[approach.lane_edge[i]] + self.queue_gap_m
            goes = obs.lane_intent[i] if intents else ()
            for n, (d, v, wait) in enumerate(vehicles):
                queued = v < HALTING_SPEED and d <= reach
                t = 0 if queued else int(d / max(v, 0.5 * speed, 1.0) / dt)
                # a vehicle yet to change lanes counts in the lane its route takes
                lane = goes[n] if goes and goes[n] != UNKNOWN else i
                if t < steps and lane != NOT_HERE:
                    out[t, lane] += (1.0 + wait / self.wait_weight_s) * weight[approach.lane_edge[i]]
        for k, vehicles in enumerate(obs.upstream):
            lanes = list(approach.edge_lanes[k])
            if not lanes:
                continue
            share = 1.0 / len(lanes)
            speed = max(approach.lane_speed[i] for i in lanes)
            reach = ends[k] + self.queue_gap_m
            targets = self._targets(approach, vehicles, obs.intent[k], reach) if self.turn_intent and obs.intent else None
            turns = obs.turns if self.learned_turns and obs.turns and obs.intent else None
            for n, (d, v, wait) in enumerate(vehicles):
                queued = v < HALTING_SPEED and d <= reach
                t = 0 if queued else int(d / max(v, 0.5 * speed, 1.0) / dt)
                if t >= steps:
                    continue
                value = (1.0 + wait / self.wait_weight_s) * weight[k]
                target = targets[n] if targets is not None else UNKNOWN
                if target >= 0:
                    out[t, target] += value
                elif target == NOT_HERE:
                    continue
                elif turns is not None and (shares := turns.get(obs.intent[k][n][0])) is not None:
                    out[t] += value * shares
                else:
                    out[t, lanes] += share * value
            if obs.pending[k]:
                out[0, lanes] += share * obs.pending[k] * weight[k]
        for k, tls, feeding, travel in approach.feeders:
            if tls in obs.neighbours and approach.edge_lanes[k]:
                self._released(out, approach.edge_lanes[k], obs.neighbours[tls], feeding, travel)
        return out

    def _targets(
        self, approach: Approach, vehicles: list[tuple[float, float, float]], intent: list[tuple[str, int]], reach: float
    ) -> list[int]:
        """The incoming lane each upstream vehicle will queue in, from its route
        (``Observation.intent``). With ``fifo``, on a lane where vehicles cannot pass one
        another (``Approach.fifo``), a vehicle behind one standing in the queue counts in
        the lane of the more restricted of the two (served by fewer greens; the one ahead's
        when neither is): it cannot reach its own lane before the one ahead has gone."""
        out = [target for _, target in intent]
        if not self.fifo:
            return out
        ahead: dict[str, int] = {}  # FIFO lane -> lane the queue there is held in
        for n in sorted(range(len(vehicles)), key=lambda n: vehicles[n][0]):
            lane, target = intent[n]
            if target < 0 or lane not in approach.fifo:
                continue
            held = ahead.get(lane)
            if held is not None:
                out[n] = _restricted(approach, target, held)
                ahead[lane] = out[n]
            elif vehicles[n][1] < HALTING_SPEED and vehicles[n][0] <= reach:
                ahead[lane] = target
        return out

    def _released(
        self,
        out: np.ndarray,
        lanes: tuple[int, ...],
        neighbour: tuple[Approach, Observation, int, float],
        feeding: tuple[int, ...],
        travel: float,
    ) -> None:
        """Add the vehicles an upstream signal releases towards these lanes while it shows
        their links green, up to the end of the green it plans (``SignalState.planned_until``):
        moving ones as they reach its stop line, queued ones after its start-up at its
        saturation headway and their run up to speed; they arrive ``travel`` later."""
        upstream, seen, shown, remaining = neighbour
        if shown < 0 or remaining <= 0:
            return
        green = upstream.greens[shown]
        steps = out.shape[0]
        share = 1.0 / len(lanes)
        for li, vehicles in enumerate(seen.lanes):
            links = [index for lane, _, index in upstream.links if lane == li]
            feed = [index for index in links if index in feeding and green[index] in GREEN]
            if not feed or not vehicles:
                continue
            fraction = len(feed) / len(links) * share
            speed = upstream.lane_speed[li]
            for n, (d, v, _) in enumerate(sorted(vehicles)):
                if v < HALTING_SPEED:
                    # queued: the start-up, its place in the queue, then the run up to speed
                    leave = self.startup_s + n * self.headway_s + speed / (2.0 * ACCEL)
                else:
                    leave = max(n * self.headway_s, d / max(v, 0.5 * speed, 1.0))
                if leave > remaining:
                    break
                step = int((leave + travel) / self.dt_s)
                if step >= steps:
                    break
                out[step, list(lanes)] += fraction

    def _capacity(self, approach: Approach, obs: Observation) -> np.ndarray:
        """Vehicles per second each green discharges from each lane (links into a full
        outgoing lane count as not served)."""
        shares, links = _shares(approach.greens, approach.links, len(approach.lanes), self.permissive)
        blocked = _full_lanes(approach, obs)
        if not blocked:
            return shares / self.headway_s
        cap = shares.copy()
        for i, j, index in approach.links:
            if j in blocked:
                for p, green in enumerate(approach.greens):
                    cap[p, i] -= _weight(green[index], self.permissive) / links[i]
        return np.clip(cap, 0.0, None) / self.headway_s


def _restricted(approach: Approach, own: int, ahead: int) -> int:
    """Of two incoming lanes, the one served by the fewer greens when its greens are among
    the other's; else ``ahead`` (the vehicle in front has to go first)."""
    mine, theirs = set(approach.lane_phases[own]), set(approach.lane_phases[ahead])
    return own if mine < theirs else ahead


def _full_lanes(approach: Approach, obs: Observation) -> frozenset[int]:
    """The outgoing lanes (indices) with no room for released vehicles (see :func:`_full`)."""
    return frozenset(j for j in range(len(approach.outgoing)) if _full(approach, obs, j))


def _full(approach: Approach, obs: Observation, j: int) -> bool:
    """Whether outgoing lane ``j`` has no room for released vehicles: its stopped vehicles,
    with those on the lanes just beyond a short lane, fill all but one place of its room
    (at least one stopped vehicle; 80% of a long lane)."""
    jam, room = obs.out_jam[j], approach.out_room[j]
    return jam >= max(1.0, min(0.8 * room, room - 1.0))


def _weight(signal: str, permissive: float) -> float:
    return 1.0 if signal == "G" else permissive if signal == "g" else 0.0


@lru_cache(maxsize=1024)
def _shares(
    greens: tuple[str, ...], links: tuple[tuple[int, int, int], ...], n_lanes: int, permissive: float
) -> tuple[np.ndarray, tuple[int, ...]]:
    """Per green and lane, the share of the lane's links it serves (permissive ones at a
    discount), and the number of links of each lane."""
    count = [0] * n_lanes
    for i, _, _ in links:
        count[i] += 1
    shares = np.zeros((len(greens), n_lanes))
    for p, green in enumerate(greens):
        for i, _, index in links:
            shares[p, i] += _weight(green[index], permissive) / count[i]
    shares.setflags(write=False)
    return shares, tuple(count)


def _serves(green: str, feeds: tuple[int, ...]) -> bool:
    """Whether ``green`` shows any of the links ``feeds`` green (true when none is named)."""
    return not feeds or any(green[i] in GREEN for i in feeds)


def _until_red(greens: tuple[str, ...], plans: np.ndarray, feeds: tuple[int, ...]) -> np.ndarray:
    """Per plan, the steps until none of the links ``feeds`` is green (a link green before
    and after a change keeps its green through it)."""
    lit = np.array([[g[i] in GREEN for i in feeds] for g in greens])  # (greens, feeds)
    kept = (lit[:, None, :] & lit[None, :, :]).any(axis=2).reshape(-1)  # change a -> b at a * n + b
    served = np.concatenate([lit.any(axis=1), kept])[plans]
    return np.where(served.all(axis=1), plans.shape[1], np.argmin(served, axis=1))


def _until_green(greens: tuple[str, ...], plans: np.ndarray, index: int) -> np.ndarray:
    """Per plan, the steps until it shows a green with state index ``index`` green (the
    horizon when it never does; a change shows none)."""
    lit = np.array([g[index] in GREEN for g in greens])
    shown = np.concatenate([lit, np.zeros(len(greens) * len(greens), dtype=bool)])[plans]
    return np.where(shown.any(axis=1), np.argmax(shown, axis=1), plans.shape[1])


def _green_end(plan: np.ndarray, green: int) -> int:
    """The step at which ``plan`` (pseudo-phase indices per step) stops serving ``green``
    after it first serves it (the horizon when it serves it to the end, or never)."""
    on = np.flatnonzero(plan == green)
    if not on.size:
        return len(plan)
    off = np.flatnonzero(plan[on[0] :] != green)
    return int(on[0] + off[0]) if off.size else len(plan)


def _target(plans: np.ndarray, row: int, n_phases: int) -> int:
    """The green a plan that switches at once goes to (decoded from the change's
    pseudo-phase index ``n + a * n + b``)."""
    return (int(plans[row, 0]) - n_phases) % n_phases


@lru_cache(maxsize=4096)
def _plans(
    greens: tuple[str, ...],
    current: int,
    chosen: tuple[int, ...],
    timing: Timing,
    steps: int,
    dt: float,
    startup_s: float,
    first_s: tuple[float, ...],
    second_s: tuple[float, ...],
    intergreens: Intergreens = Intergreens(),
) -> tuple[np.ndarray, np.ndarray]:
    """Every three-stage plan over the horizon as pseudo-phase indices per step: the current
    green for ``g1``, the change, green ``b`` (one of ``chosen``) for ``g2``, the change, then
    green ``x`` to the horizon. Greens are ``0..n-1``; the change from ``a`` to ``b`` is
    ``n + a * n + b`` (links green in both keep their green through it)."""
    n = len(greens)
    changes: dict[tuple[int, int], int] = {}

    def lost(a: int, b: int) -> int:
        steps_lost = changes.get((a, b))
        if steps_lost is None:  # once per change: hashing the timing per call cost more than all else
            clearance = clearance_s(greens[a], greens[b], timing, intergreens=intergreens)
            steps_lost = changes[a, b] = int(np.ceil((clearance + startup_s) / dt - 1e-9))
        return steps_lost

    firsts = sorted({min(steps, int(round(g / dt))) for g in first_s})
    seconds = sorted({max(int(np.ceil(timing.min_green_s / dt)), int(round(g / dt))) for g in second_s})
    rows: dict[tuple[int, ...], int] = {}  # each distinct plan once, first seen first, with its g1
    for g1 in firsts:
        for b in chosen:
            to_b = [current] * g1 + [n + current * n + b] * lost(current, b)
            for g2 in seconds:
                served = to_b + [b] * g2
                for x in (current, *chosen):
                    if x == b:
                        continue
                    seq = served + [n + b * n + x] * lost(b, x)
                    seq += [x] * max(0, steps - len(seq))
                    rows.setdefault(tuple(seq[:steps]), g1)
    plans = np.array(list(rows), dtype=np.int64)
    firsts_arr = np.array(list(rows.values()))
    plans.setflags(write=False)
    return plans, firsts_arr
