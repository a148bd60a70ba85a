"""The runtime shared by every adaptive controller: one :class:`its.control.Controller` that
steps all its signals through green, yellow and all-red, and asks a policy which green to
serve next.

The controller is stepped every second (so yellows and all-reds last exactly their time);
a policy is asked at the end of each minimum green and then every ``decide_every_s``. What
the policy sees comes from one libsumo context subscription per signal (every vehicle near
the junction with its lane, position, speed and waiting time), read only when a decision is
due, so nothing is polled value by value. Policies are small picklable objects (see
:mod:`signals.policies`).

A policy may also name links to hold red inside the green it serves (:class:`Gating`): the
exit-blockage rule of field controllers, so that vehicles are not let into a junction they
cannot leave because the lane beyond is full. A held link still gets its yellow, keeps its
minimum green, and is green again once there is room.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from its.control import SimHandle
from signals.approach import (
    VEHICLE_SPACE_M,
    WATCH_BOX,
    WATCH_GAP,
    WATCH_IN,
    WATCH_OUT,
    WATCH_UP,
    Approach,
)
from signals.model import GREEN, Crossing
from signals.phases import Timing, transition

__all__ = ["AdaptiveController", "Gating", "Observation", "Policy", "SignalState"]

# libsumo / TraCI variable ids (stable across SUMO versions)
_CMD_GET_VEHICLE_VARIABLE = 0xA4
_VAR_LANE_ID = 0x51
_VAR_LANEPOSITION = 0x56
_VAR_SPEED = 0x40
_VAR_WAITING_TIME = 0x7A
_VARS = (_VAR_LANE_ID, _VAR_LANEPOSITION, _VAR_SPEED, _VAR_WAITING_TIME)

#: A vehicle slower than this is queued, m/s (SUMO's own halting threshold).
HALTING_SPEED = 0.1
#: A vehicle inside the junction slower than this may be stuck there, m/s.
BOX_MOVING_SPEED = 2.0
#: ``Observation.intent`` of a vehicle whose route leaves the approach before the signal,
#: and of one whose link cannot be told.
NOT_HERE, UNKNOWN = -1, -2
#: Vehicles' worth of even shares a watched lane's learned turning shares start from.
TURN_PRIOR = 2.0
_PASSED = -3  # learning turns: seen past the signal, by a lane not seen
_FAST, _MARGIN_M = 1.3, 5.0  # learning turns: a vehicle's top speed over the limit, and slack


@dataclass
class Observation:
    """What a policy sees of one signal at one decision.

    ``lanes[i]`` holds the vehicles on incoming lane ``i`` as (distance to the stop line in
    metres, speed in m/s, waiting time in s); ``upstream[k]`` the vehicles further up the
    chain of incoming edge ``k`` (same tuples); ``outgoing[j]`` the vehicles on outgoing lane
    ``j`` as (distance past the junction in metres, speed in m/s); ``pending[k]`` the
    vehicles waiting to enter the network upstream of edge ``k``.
    """

    time: float
    lanes: list[list[tuple[float, float, float]]]
    upstream: list[list[tuple[float, float, float]]]
    outgoing: list[list[tuple[float, float]]]
    pending: list[int]
    box: list[tuple[int, float]] = field(default_factory=list)
    """Vehicles inside the junction: (state index of their link, speed in m/s)."""
    gap: list[tuple[int, float, float]] = field(default_factory=list)
    """Vehicles inside unsignalised junctions on the approaches: (incoming edge index, speed
    in m/s, waiting time in s)."""
    out_jam: list[int] = field(default_factory=list)
    """Halting vehicles on each outgoing lane and the lanes just beyond it (``Approach.out_chain``);
    on a short lane ending at a signal (``Approach.out_signal``) also the vehicles rolling on it
    towards that signal's red and those standing, or crawling in on a give-way green, inside
    its junction (``Approach.out_box``): they will all stand on the lane."""
    yielding: list[tuple[int, float, float, tuple[int, ...]]] = field(default_factory=list)
    """Halting vehicles on the lanes of ``Approach.yield_feeds`` (giving way to traffic this
    signal releases): (incoming edge index, distance to the stop line in metres, waiting
    time in s, the state indices releasing the traffic they give way to)."""
    neighbours: dict[str, tuple[Approach, Observation, int, float]] = field(default_factory=dict)
    """The upstream signals feeding the approaches (see ``Approach.feeders``) under the same
    controller: their approach, what they see, and the green they show (-1 while changing)."""
    intent: list[list[tuple[str, int]]] = field(default_factory=list)
    """With a policy that wants turning intents (``turn_intent``), per incoming edge and in
    the order of ``upstream[k]``: (the watched lane the vehicle is on, the incoming lane of
    the link it will take here; ``NOT_HERE`` when its route leaves before this signal,
    ``UNKNOWN`` when that cannot be told). With one that learns turning shares instead
    (``learned_turns``) the lane is always ``UNKNOWN``."""
    lane_intent: list[list[int]] = field(default_factory=list)
    """With a policy that counts lane changes (``lane_changes``), per incoming lane and in
    the order of ``lanes[i]``: the incoming lane of the link the vehicle will take here
    (another lane when it has yet to change lanes; ``NOT_HERE`` when its route ends before
    the stop line)."""
    turns: dict[str, np.ndarray] = field(default_factory=dict)
    """With a policy that learns turning shares (``learned_turns``): per watched lane
    upstream, the share of its vehicles seen so far reaching each incoming lane (the
    rest turned off before the signal), from a prior of even shares (``TURN_PRIOR``)."""
    walkers: list[tuple[int, float]] = field(default_factory=list)
    """With a policy that weighs pedestrians (``pedestrian_weight``): everyone standing at
    a crossing's end waiting to walk it, as (the crossing's state index, waiting time in s)."""


@dataclass(slots=True)
class _Visit:
    """Learning turns: a vehicle seen upstream -- the watched lanes it was seen on, and how
    far from the stop line (metres) and when it was last seen."""

    lanes: set[str]
    last_m: float
    last_t: float


@dataclass
class SignalState:
    """Where one signal is in its green/yellow/red sequence."""

    current: int = 0
    """Index of the green being served, or the one coming after a transition."""
    green_since: float = 0.0
    next_decision: float = 0.0
    transition: list[tuple[str, float]] = field(default_factory=list)
    """Remaining (state, end time) phases of the change in progress."""
    switches: int = 0
    clearance_start: float = 0.0
    clearance_s: float = 0.0
    """How long the change in progress was planned to last (before any extension)."""
    shown: str = ""
    """The state the signal shows now."""
    lit: dict[int, float] = field(default_factory=dict)
    """Since when each link showing green has been green."""
    held: dict[int, float] = field(default_factory=dict)
    """Links held red inside the current green (exit blockage) → when their yellow ends."""
    planned_until: float = float("inf")
    """When the policy plans to end the green it serves or is changing to (a policy that
    plans ahead sets it; neighbours predict what this signal releases from it)."""


class Policy(Protocol):
    """Chooses the green to serve next. ``decide_every_s`` is how often it is asked."""

    decide_every_s: float

    def choose(self, approach: Approach, obs: Observation, state: SignalState, timing: Timing) -> int:
        """Index of the green to serve (``state.current`` to keep it)."""
        ...


class Gating(Protocol):
    """A policy that also holds links red inside a green (when ``exit_blockage`` is true)."""

    exit_blockage: bool

    def gate(self, approach: Approach, obs: Observation) -> frozenset[int]:
        """State indices whose vehicles should not enter the junction now."""
        ...


def _reached(approach: Approach, kind: int, index: int) -> int:
    """Learning turns: where a vehicle seen on a watched lane of ``kind`` is -- the incoming
    lane it is on or whose link it crosses the junction by, ``_PASSED`` on an outgoing lane
    (by a lane not seen), ``UNKNOWN`` still upstream."""
    if kind == WATCH_IN:
        return index
    if kind == WATCH_BOX:
        return approach.link_lane.get(index, _PASSED)
    return _PASSED if kind == WATCH_OUT else UNKNOWN


def _prior(approach: Approach, edge: int) -> np.ndarray:
    """Turning counts of a watched lane upstream of incoming edge ``edge`` before any vehicle
    is seen: ``TURN_PRIOR`` vehicles shared evenly among the edge's lanes; the last entry
    counts those turning off."""
    row = np.zeros(len(approach.lanes) + 1)
    lanes = list(approach.edge_lanes[edge])
    row[lanes] = TURN_PRIOR / max(1, len(lanes))
    return row


class AdaptiveController:
    """Steps ``approaches`` under ``policy`` with ``timing``'s clearances and green bounds.

    ``log`` (a path) records every state the controller set, as JSON lines ``[time, signal,
    state shown, green served]`` (the green is ``""`` during a change; the state shown differs
    from it while links are held red), for the checker, for derived plans and for tests.
    """

    interval_s = 1.0

    def __init__(
        self,
        approaches: Sequence[Approach],
        policy: Policy,
        timing: Timing = Timing(),
        *,
        log: Path | None = None,
    ) -> None:
        self.approaches = tuple(approaches)
        self.policy = policy
        self.timing = timing
        self.log = log
        self.states: list[SignalState] = []
        self._records: list[tuple[float, str, str, str]] = []
        self._index = {a.tls_id: i for i, a in enumerate(self.approaches)}
        self._seen: dict[str, Observation] = {}
        self._gating = bool(getattr(policy, "exit_blockage", False))
        self._intents = bool(getattr(policy, "turn_intent", False))
        self._lane_changes = self._intents and bool(getattr(policy, "lane_changes", False))
        self._targets: dict[tuple[str, str, str], int] = {}
        self._learns = not self._intents and bool(getattr(policy, "learned_turns", False))
        self._walkers = float(getattr(policy, "pedestrian_weight", 0.0)) > 0
        self._visits: dict[str, dict[str, _Visit]] = {a.tls_id: {} for a in self.approaches}
        self._turns: dict[str, dict[str, np.ndarray]] = {a.tls_id: {} for a in self.approaches}

    # -- the Controller protocol ------------------------------------------------------------
    def start(self, sim: SimHandle) -> None:
        now = sim.time()
        self.states = []
        for approach in self.approaches:
            sim.apply(
                "junction", "subscribeContext", approach.junction, _CMD_GET_VEHICLE_VARIABLE, approach.radius_m, _VARS
            )
            shown = str(sim.apply("trafficlight", "getRedYellowGreenState", approach.tls_id))
            state = SignalState(current=0, green_since=now, next_decision=now + self.timing.min_green_s, shown=shown)
            self.states.append(state)
            if shown in approach.greens:
                state.current = approach.greens.index(shown)
                self._set(sim, approach, shown, now)
            else:
                self._begin_transition(sim, approach, state, shown, 0, now)

    def act(self, sim: SimHandle) -> None:
        now = sim.time()
        for approach, state in zip(self.approaches, self.states, strict=True):
            if state.transition:
                if now + 1e-6 < state.transition[0][1]:
                    continue
                upcoming = state.transition[1][0] if len(state.transition) > 1 else approach.greens[state.current]
                if self._box_busy(sim, approach, state, upcoming, now):
                    red = state.transition[0][0].replace("y", "r")
                    late = now + 1.0 - state.transition[0][1]
                    state.transition = [(red, now + 1.0)] + [(shown, end + late) for shown, end in state.transition[1:]]
                    self._set(sim, approach, red, now)
                    continue
                state.transition.pop(0)
                if state.transition:
                    self._set(sim, approach, state.transition[0][0], now)
                    continue
                state.held = {}
                state.green_since = now
                state.next_decision = now + self.timing.min_green_s
                self._show_green(sim, approach, state, self.observe(sim, approach, now) if self._gating else None, now)
                continue
            obs = None
            if self._gating:
                obs = self.observe(sim, approach, now)
                self._show_green(sim, approach, state, obs, now)
            elif approach.walkways:  # a pedestrian may call a walk in the green being served
                self._show_green(sim, approach, state, None, now)
            if now + 1e-6 < state.next_decision:
                continue
            obs = obs or self.observe(sim, approach, now)
            if approach.feeders and getattr(self.policy, "uses_neighbours", False):
                obs.neighbours = self._neighbours(sim, approach, now)
            choice = self.policy.choose(approach, obs, state, self.timing)
            if approach.walkways:
                choice = self._pedestrian_call(sim, approach, choice, obs)
                walking = [state.lit[c.index] for c in approach.walkways if c.index in state.lit]
                if choice != state.current and walking and now - max(walking) + 1e-6 < self.timing.walk_s:
                    # a walk shown lasts its minimum before its clearance begins
                    state.next_decision = max(walking) + self.timing.walk_s
                    continue
            if choice != state.current:
                self._begin_transition(sim, approach, state, state.shown, choice, now, obs)
                state.switches += 1
            else:
                state.next_decision = now + self.policy.decide_every_s

    def finish(self, sim: SimHandle) -> None:
        """Called once when the run ends: writes the log of states."""
        self._flush()

    # -- helpers ----------------------------------------------------------------------------
    def _neighbours(self, sim: SimHandle, approach: Approach, now: float) -> dict[str, tuple[Approach, Observation, int, float]]:
        out = {}
        for _, tls, _, _ in approach.feeders:
            j = self._index.get(tls)
            if j is None or tls in out:
                continue
            upstream = self.approaches[j]
            seen = self._seen.get(tls)
            if seen is None or now - seen.time > 2.0:
                seen = self.observe(sim, upstream, now)
            state = self.states[j]
            shown = -1 if state.transition else state.current
            out[tls] = (upstream, seen, shown, state.planned_until - now)
        return out

    def _pedestrian_call(self, sim: SimHandle, approach: Approach, choice: int, obs: Observation) -> int:
        """``choice``, unless someone has waited ``max_pedestrian_wait_s`` at a crossing
        that green does not let them cross: then the green serving the
        most such crossings (the policy's own choice first among equals). Pedestrians are
        read from the walking areas at the crossings' ends only at decisions, and only at
        signals with crossings (from ``obs`` when the policy had them read there)."""
        served = approach.greens[choice]
        longest = self.timing.max_pedestrian_wait_s
        if self._walkers:
            long_waits = {c for c, wait in obs.walkers if wait >= longest}
            due = {c.index for c in approach.walkways if served[c.index] not in GREEN and c.index in long_waits}
        else:
            due = {c.index for c in approach.walkways if served[c.index] not in GREEN and self._waiting(sim, c, longest)}
        if not due:
            return choice
        greens = approach.greens
        return max(range(len(greens)), key=lambda g: (sum(greens[g][k] in GREEN for k in due), g == choice))

    @classmethod
    def _waiting(cls, sim: SimHandle, crossing: Crossing, at_least_s: float = 0.0) -> bool:
        """Whether someone stands at either end of ``crossing`` waiting to walk it, for at
        least ``at_least_s``."""
        return any(at_least_s <= 0 or w >= at_least_s for w in cls._standing(sim, crossing))

    @staticmethod
    def _standing(sim: SimHandle, crossing: Crossing) -> Iterator[float]:
        """The waiting time of everyone at either end of ``crossing`` about to walk it (read
        from SUMO: who is on the walking areas, and where to next)."""
        for side in crossing.sides:
            for person in sim.apply("edge", "getLastStepPersonIDs", side):
                if sim.apply("person", "getNextEdge", person) == crossing.edge:
                    yield float(sim.apply("person", "getWaitingTime", person))

    def observe(self, sim: SimHandle, approach: Approach, now: float) -> Observation:
        """The vehicles around ``approach`` right now, from its context subscription."""
        found = sim.apply("junction", "getContextSubscriptionResults", approach.junction) or {}
        lanes: list[list[tuple[float, float, float]]] = [[] for _ in approach.lanes]
        upstream: list[list[tuple[float, float, float]]] = [[] for _ in approach.edges]
        outgoing: list[list[tuple[float, float]]] = [[] for _ in approach.outgoing]
        box: list[tuple[int, float]] = []
        gap: list[tuple[int, float, float]] = []
        out_jam = [0] * len(approach.outgoing)
        yielding: list[tuple[int, float, float, tuple[int, ...]]] = []
        feeds = approach.yield_feeds
        watch = approach.watch
        chain = approach.out_chain
        box_ahead = approach.out_box
        tracks = self._intents or self._learns
        intent: list[list[tuple[str, int]]] = [[] for _ in approach.edges] if tracks else []
        lane_intent: list[list[int]] = [[] for _ in approach.lanes] if self._lane_changes else []
        reached: dict[str, int] = {}  # learning: vehicle -> incoming lane it is seen on, ...
        past: dict[str, float] = {}  # learning: vehicle on a lane not watched -> metres past the signal if it passed
        for vehicle, values in found.items():
            lane = values[_VAR_LANE_ID]
            speed = values[_VAR_SPEED]
            if lane in chain and speed < HALTING_SPEED:
                out_jam[chain[lane]] += 1
            elif lane in box_ahead and speed < BOX_MOVING_SPEED:
                # inside the next signal's junction: standing, or crawling in on a link
                # that must give way (it will stop at the waiting point)
                j, k = box_ahead[lane]
                if speed < HALTING_SPEED or self._shown(sim, approach.out_signal[j][0])[k] != "G":
                    out_jam[j] += 1
            where = watch.get(lane)
            if where is None:
                if self._learns and lane.startswith(":"):
                    reached[vehicle] = UNKNOWN  # inside a junction: wait until it is out
                elif self._learns:
                    # off the approach, or past the signal and at least this far beyond it
                    j = chain.get(lane)
                    room = approach.out_capacity[j] if j is not None else min(approach.out_room, default=1.0)
                    past[vehicle] = room * VEHICLE_SPACE_M
                continue
            kind, index, offset, length = where
            if self._learns:
                reached[vehicle] = _reached(approach, kind, index)
            if kind == WATCH_BOX:
                box.append((index, speed))
                continue
            if lane in feeds and speed < HALTING_SPEED:
                distance = offset if kind == WATCH_GAP else max(0.0, length - values[_VAR_LANEPOSITION]) + offset
                yielding.append((index, distance, values[_VAR_WAITING_TIME], feeds[lane]))
            if kind == WATCH_GAP:
                gap.append((index, speed, values[_VAR_WAITING_TIME]))
                visit = self._visits[approach.tls_id].get(vehicle) if self._learns else None
                if visit is not None:
                    visit.last_m, visit.last_t = offset, now
                continue
            if kind == WATCH_OUT:
                outgoing[index].append((values[_VAR_LANEPOSITION], speed))
                if speed < HALTING_SPEED:
                    out_jam[index] += 1
                continue
            distance = max(0.0, length - values[_VAR_LANEPOSITION]) + offset
            entry = (distance, speed, values[_VAR_WAITING_TIME])
            if kind == WATCH_IN:
                lanes[index].append(entry)
                if self._lane_changes:
                    lane_intent[index].append(self._target(sim, approach, vehicle, lane))
            elif kind == WATCH_UP:
                upstream[index].append(entry)
                if self._intents:
                    intent[index].append((lane, self._target(sim, approach, vehicle, lane)))
                elif self._learns:
                    intent[index].append((lane, UNKNOWN))
                    visit = self._visits[approach.tls_id].setdefault(vehicle, _Visit(set(), distance, now))
                    visit.lanes.add(lane)
                    visit.last_m, visit.last_t = distance, now
        for j, (tls, indices) in enumerate(approach.out_signal):
            if not (tls and outgoing[j]):
                continue
            if not any(self._shown(sim, tls)[k] in GREEN for k in indices):
                # a short lane ending at a red: every vehicle on it stops there
                out_jam[j] += sum(1 for _, speed in outgoing[j] if speed >= HALTING_SPEED)
        pending = [0] * len(approach.edges)
        for edge, k, _ in approach.sources:
            pending[k] += len(sim.apply("edge", "getPendingVehicles", edge) or ())
        turns = self._learn(approach, reached, past, now) if self._learns else {}
        walkers = (
            [(c.index, w) for c in approach.walkways for w in self._standing(sim, c) if w > 0]
            if self._walkers
            else []
        )
        seen = Observation(
            now, lanes, upstream, outgoing, pending, box, gap, out_jam, yielding,
            intent=intent, lane_intent=lane_intent, turns=turns, walkers=walkers,
        )  # fmt: skip
        self._seen[approach.tls_id] = seen
        return seen

    def _target(self, sim: SimHandle, approach: Approach, vehicle: str, lane: str) -> int:
        """The incoming lane (index) of the link ``vehicle``, now on ``lane``, will take at
        ``approach``'s signal, from its route (``NOT_HERE`` when the route reaches another
        signal first or none). Asked once per vehicle and lane: the answer changes only
        with the lane (a rerouted vehicle is the rare exception)."""
        key = (approach.tls_id, vehicle, lane)
        known = self._targets.get(key)
        if known is not None:
            return known
        if len(self._targets) > 50_000:  # vehicles long gone
            self._targets.clear()
        target = NOT_HERE
        for tls, index, _, _ in sim.apply("vehicle", "getNextTLS", vehicle) or ():
            if tls == approach.tls_id:
                target = approach.link_lane.get(int(index), UNKNOWN)
            break
        self._targets[key] = target
        return target

    def _learn(
        self, approach: Approach, reached: dict[str, int], past: dict[str, float], now: float
    ) -> dict[str, np.ndarray]:
        """Count where the vehicles seen upstream went -- an incoming lane, or off the
        approach before the signal (gone from every watched lane while still too far from the
        stop line to have passed it unseen since it was last seen) -- and return each watched
        lane's turning shares. What a tracking detector (video, radar) sees, no routes. A
        vehicle next seen past the signal, or gone when it may have passed it between two
        looks (during a change the controller does not look), is not counted."""
        visits, counts = self._visits[approach.tls_id], self._turns[approach.tls_id]
        fastest = max(approach.lane_speed, default=14.0) * _FAST
        for vehicle in list(visits):
            where = reached.get(vehicle, NOT_HERE)
            if where == UNKNOWN:
                continue  # still upstream
            visit = visits.pop(vehicle)
            reach = fastest * (now - visit.last_t) + _MARGIN_M  # how far it may have gone since
            if where == NOT_HERE and visit.last_m + past.get(vehicle, 0.0) <= reach:
                where = _PASSED  # it may have passed the signal since it was last seen
            if where == _PASSED:
                continue
            for lane in visit.lanes:
                row = counts.get(lane)
                if row is None:
                    row = counts[lane] = _prior(approach, approach.watch[lane][1])
                row[where if where >= 0 else -1] += 1.0
        return {lane: row[:-1] / row.sum() for lane, row in counts.items()}

    def _shown(self, sim: SimHandle, tls: str) -> str:
        """The state signal ``tls`` shows now (ours from our own record)."""
        j = self._index.get(tls)
        if j is not None and j < len(self.states):
            return self.states[j].shown
        return str(sim.apply("trafficlight", "getRedYellowGreenState", tls))

    def _box_busy(self, sim: SimHandle, approach: Approach, state: SignalState, upcoming: str, now: float) -> bool:
        """Whether vehicles of links losing their green are still inside the junction on a
        path that crosses a link about to turn green in ``upcoming`` (the next phase of the
        change, or its green: then the phase shown is extended by a second, the change by
        at most ``timing.max_clearance_extension_s`` in all)."""
        if now - state.clearance_start >= state.clearance_s + self.timing.max_clearance_extension_s - 1e-6:
            return False
        target = approach.greens[state.current]
        shown = state.transition[0][0]
        starting = [j for j, c in enumerate(upcoming) if c in "Gg" and shown[j] not in "Gg"]
        if not starting:
            return False
        for link, speed in self._in_box(sim, approach):
            if target[link] in "Gg":
                continue
            if speed > BOX_MOVING_SPEED:
                continue  # it will be out before the new green's first vehicle arrives
            if any((link, j) in approach.conflicts for j in starting):
                return True
        return False

    def _crossing_busy(self, sim: SimHandle, approach: Approach, crossing: Crossing, state: SignalState, now: float) -> bool:
        """Whether a vehicle of a link crossing ``crossing``'s path that is not green now
        (its green has ended) is still inside the junction: the walk waits for it, for at
        most ``timing.max_clearance_extension_s`` into the green (a pedestrian stepping
        out behind the yellow would meet it; in SUMO a vehicle stopping for them inside the
        junction can lock it)."""
        if now - state.green_since >= self.timing.max_clearance_extension_s - 1e-6:
            return False
        green = approach.greens[state.current]
        return any(link in crossing.foes and green[link] not in GREEN for link, _ in self._in_box(sim, approach))

    @staticmethod
    def _in_box(sim: SimHandle, approach: Approach) -> list[tuple[int, float]]:
        """(link, speed) of every vehicle inside the junction, from the approach's context
        subscription (the link whose internal lane it is on)."""
        found = sim.apply("junction", "getContextSubscriptionResults", approach.junction) or {}
        return [
            (where[1], values[_VAR_SPEED])
            for values in found.values()
            if (where := approach.watch.get(values[_VAR_LANE_ID])) is not None and where[0] == WATCH_BOX
        ]

    def _show_green(self, sim: SimHandle, approach: Approach, state: SignalState, obs: Observation | None, now: float) -> None:
        """Show the green being served, with the links the policy gates held red.

        A gated link showing green turns yellow, then red, once it has had its minimum
        green; one not showing green (it starts red) stays red. A held link is green again
        once it is no longer gated and its red has lasted a second; the green then lasts at
        least its minimum before any switch.

        A pedestrian crossing of the green shows its walk only once someone waits to cross
        there (a pedestrian call, as at a push button), and no vehicle that has lost its
        green is still inside the junction on a path across the crossing; it then keeps it:
        a switch that would end a walk shown waits until the walk has had its minimum, and
        only a walk shown is followed by a pedestrian clearance
        (:func:`signals.phases.transition`)."""
        gated = self.policy.gate(approach, obs) if obs is not None else frozenset()  # type: ignore[attr-defined]
        green = approach.greens[state.current]
        shown = list(state.shown)
        walks = {c.index: c for c in approach.walkways}
        for k, c in enumerate(green):
            lighting = k in walks and c in GREEN and state.shown[k] not in GREEN
            if lighting and (not self._waiting(sim, walks[k]) or self._crossing_busy(sim, approach, walks[k], state, now)):
                shown[k] = "r"
                continue
            end = state.held.get(k)
            if end is not None:
                if k in gated or now + 1e-6 < end + 1.0:
                    shown[k] = "y" if now + 1e-6 < end else "r"
                    continue
                del state.held[k]
                state.next_decision = max(state.next_decision, now + self.timing.min_green_s)
            elif c in GREEN and k in gated:
                if shown[k] not in GREEN:
                    state.held[k], shown[k] = now, "r"
                    continue
                if now - state.lit.get(k, now) + 1e-6 >= self.timing.min_green_s:
                    state.held[k], shown[k] = now + self.timing.yellow_s, "y"
                    continue
            shown[k] = c
        if "".join(shown) != state.shown:
            self._set(sim, approach, "".join(shown), now)

    def _begin_transition(
        self,
        sim: SimHandle,
        approach: Approach,
        state: SignalState,
        shown: str,
        target: int,
        now: float,
        obs: Observation | None = None,
    ) -> None:
        phases = transition(shown, approach.greens[target], self.timing, approach.walkways, approach.intergreens)
        state.current = target
        if not phases:  # (links held red stay held: the new green serves them too)
            state.green_since = now
            state.next_decision = now + self.timing.min_green_s
            self._show_green(sim, approach, state, obs if self._gating else None, now)
            return
        end = now
        state.clearance_start = now
        state.clearance_s = sum(phase.duration for phase in phases)
        state.transition = []
        for phase in phases:
            end += phase.duration
            state.transition.append((phase.state, end))
        self._set(sim, approach, phases[0].state, now)

    def _set(self, sim: SimHandle, approach: Approach, shown: str, now: float) -> None:
        sim.apply("trafficlight", "setRedYellowGreenState", approach.tls_id, shown)
        state = self.states[self._index[approach.tls_id]]
        before = state.shown
        state.lit = {k: state.lit.get(k, now) if before[k] in GREEN else now for k, c in enumerate(shown) if c in GREEN}
        state.shown = shown
        if self.log is not None:
            serving = "" if state.transition else approach.greens[state.current]
            self._records.append((now, approach.tls_id, shown, serving))

    def _flush(self) -> None:
        if self.log is None or not self._records:
            return
        with self.log.open("a", encoding="utf-8") as stream:
            for record in self._records:
                stream.write(json.dumps(record) + "\n")
        self._records = []
