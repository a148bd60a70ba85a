"""The signal model of a network: each traffic light's controlled links, their conflicts and
the lane graph around them (plain frozen data read once by :func:`read_signals`).

A :class:`Signal` is one SUMO ``tlLogic`` id: the links it controls (one character of the
state string each), which pairs of links cross or merge from different approaches (so may
not both be priority green), and the programs the network ships with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from its.control import Phase, TimingPlan
from its.errors import PlanError

__all__ = [
    "CHANGE_GREENS",
    "GREEN",
    "LATE_END",
    "LATE_START",
    "LATE_WALK",
    "LEADING_WALK",
    "PEDESTRIAN_CLEARANCE",
    "Crossing",
    "Intergreens",
    "LaneGeom",
    "Link",
    "Signal",
    "SignalNetwork",
    "green_indices",
    "is_green_state",
    "is_stage",
    "read_signals",
]

#: SUMO signal characters that let vehicles drive (``s`` only after stopping).
GREEN = frozenset("Gg")


def green_indices(state: str) -> frozenset[int]:
    """Indices of the links (and pedestrian crossings) a state shows green."""
    return frozenset(i for i, c in enumerate(state) if c in GREEN)


def is_green_state(state: str) -> bool:
    """Whether a state is a green phase: some link green and none yellow or red-yellow
    (``u``, shown just before a green in German and British sequences: a state with it is
    on its way to the next green, not a stage of its own)."""
    return any(c in GREEN for c in state) and not any(c in "yYu" for c in state)


#: Name of the phase after a green in which its pedestrian crossings show red while its
#: vehicles keep their green (what a pedestrian signal's flashing "don't walk" times).
PEDESTRIAN_CLEARANCE = "pedestrian clearance"

#: Name of the phase at the start of a fixed-time green in which a crossing it walks still
#: shows red while its vehicles already have green: the last vehicle of the green before,
#: crossing its path, is not past it yet (RiLSA's intergreen from vehicles to pedestrians).
LATE_WALK = "late walk"

#: Name of a phase at the start of a fixed-time green in which its walks already show and
#: the vehicles crossing their paths still wait (a leading pedestrian interval).
LEADING_WALK = "leading walk"

#: Name of a phase at the start of a green, with ``--all-red auto``, in which the links whose
#: conflicting links' last vehicles are still clearing stay red while the links clear of them
#: already go: each link starts its green when the intergreen matrix lets it (RiLSA's
#: intergreens per pair of signal groups, not one all-red for the whole change).
LATE_START = "late start"

#: Name of a phase of a change, with ``--all-red auto``, in which links of the stage before
#: keep their green while the yellow or all-red of others runs: their own vehicles clear
#: soon, and the links they conflict with wait for another link's longer intergreen anyway.
LATE_END = "late end"

#: The green states between two stages: partly the stage before, partly the one after.
CHANGE_GREENS = (PEDESTRIAN_CLEARANCE, LATE_WALK, LEADING_WALK, LATE_START, LATE_END)


def is_stage(phase: Phase) -> bool:
    """Whether a phase is a green stage: a green state that is not a pedestrian clearance
    or a late end (which show links of the stage before it still green), a late or leading
    walk or a late start (some of the stage after it already green)."""
    return is_green_state(phase.state) and phase.name not in CHANGE_GREENS


@dataclass(frozen=True)
class Crossing:
    """A signalised pedestrian crossing: its state index, its length (metres, kerb to kerb),
    the vehicle links that cross its path (``foes``), its SUMO edge and the walking areas at
    its two ends (``sides``, where pedestrians wait for its green)."""

    index: int
    length_m: float
    foes: frozenset[int] = frozenset()
    edge: str = ""
    sides: tuple[str, ...] = ()

    def released(self, before: str, after: str) -> list[int]:
        """The vehicle links crossing its path that have priority green (``G``) in ``after``
        and not in ``before``: those a pedestrian still walking it must not meet."""
        return sorted(f for f in self.foes if after[f] == "G" and before[f] != "G")


@dataclass(frozen=True)
class Intergreens:
    """A signal's intergreen matrix: for each conflicting pair of vehicle links, the all-red
    the junction's geometry needs between the end of the first one's yellow and the start
    of the second one's green.

    ``needs`` holds ``(clearing, entering, seconds)``, only the pairs that need some. The
    seconds are RiLSA's ``t_r - t_e`` (the transit time ``t_u`` being the yellow): the last
    vehicle of the clearing link crosses its stop line as its yellow ends and needs
    ``t_r`` to clear the conflict area, ``s_r`` metres away along its path, with its
    length ``l`` (speeding up from its approach's limit to the junction's); the first
    vehicle of the entering link, at its green, takes ``t_e = s_e / v_e`` to reach it
    (ITE's ``(W + L) / v``, taken per conflict instead of across the whole junction)."""

    needs: tuple[tuple[int, int, float], ...] = ()
    walks: tuple[tuple[int, int, float], ...] = ()
    """``(vehicle link, crossing, seconds)``: the same for a pedestrian crossing whose path
    the link's vehicles cross, with ``t_e = 0`` (a walker steps off the kerb at the green)."""
    conflicts: frozenset[tuple[int, int]] = frozenset()
    """The signal's conflicting pairs ``(i, j)``, ``i < j``, those needing no all-red too
    (foes by the junction's rules whose paths never meet): what a late end must not
    overlap. Empty: no late ends."""

    def late_walk_s(self, current: str, following: str) -> dict[int, float]:
        """For each crossing starting its walk in ``current -> following``, the seconds
        after the end of the yellow the last vehicle of a link losing green needs to be past
        its path (only the crossings with such a vehicle)."""
        return _entering_waits(self.walks, current, following)

    def late_start_s(self, current: str, following: str) -> dict[int, float]:
        """For each link gaining green in ``current -> following``, the seconds after the
        end of the yellow the last vehicles of the conflicting links losing green need to
        be clear of its path (only the links with such a conflict)."""
        return _entering_waits(self.needs, current, following)

    def all_red_s(self, current: str, following: str) -> float:
        """The longest all-red any link losing green in ``current -> following`` needs
        before a conflicting link gaining green (0 when none does)."""
        return max(self.late_start_s(current, following).values(), default=0.0)

    def worst(self, clearing: int | None = None) -> tuple[int, int, float] | None:
        """The pair needing the longest all-red (of those where ``clearing`` loses its
        green, when given)."""
        pairs = (need for need in self.needs if clearing is None or need[0] == clearing)
        return max(pairs, key=lambda need: (need[2], need[1]), default=None)


def _entering_waits(pairs: tuple[tuple[int, int, float], ...], current: str, following: str) -> dict[int, float]:
    """Of ``(clearing, entering, seconds)`` pairs, the longest wait of each index gaining
    green in ``current -> following`` after an index losing it."""
    out: dict[int, float] = {}
    for i, j, s in pairs:
        if current[i] in GREEN and following[i] not in GREEN and following[j] in GREEN and current[j] not in GREEN:
            out[j] = max(out.get(j, 0.0), s)
    return out


@dataclass(frozen=True)
class Link:
    """One controlled connection: ``index`` is its character in the state string.

    ``direction`` is SUMO's: ``s`` straight, ``l``/``L`` left, ``r``/``R`` right, ``t`` U-turn.
    """

    index: int
    from_lane: str
    to_lane: str
    from_edge: str
    to_edge: str
    direction: str
    junction: str
    via: tuple[str, ...] = ()
    """The internal lanes a vehicle crosses the junction on."""
    across: bool | None = None
    """Whether the turn crosses oncoming traffic: left where traffic drives on the right,
    right where it drives on the left (the network's ``lefthand``); ``None``: by
    ``direction`` as on the right."""

    @property
    def crosses_oncoming(self) -> bool:
        """A turn across oncoming traffic (a U-turn is not counted here)."""
        return self.across if self.across is not None else self.direction in ("l", "L")


@dataclass(frozen=True)
class LaneGeom:
    """A lane: its edge, length (metres) and speed limit (m/s)."""

    lane_id: str
    edge_id: str
    length: float
    speed: float


@dataclass(frozen=True)
class Signal:
    """A traffic light (one ``tlLogic`` id) and the links it controls."""

    tls_id: str
    links: tuple[Link, ...]
    size: int
    """Characters in each state string."""
    conflicts: frozenset[tuple[int, int]]
    """Pairs ``(i, j)``, ``i < j``, of link indices from different approaches that cross or
    merge: they may never both be priority green (``G``)."""
    programs: tuple[TimingPlan, ...] = ()
    """The programs the network ships with, the first one active."""
    junctions: tuple[str, ...] = ()
    xy: tuple[float, float] = (0.0, 0.0)
    """Centre of the controlled junctions, network coordinates (metres)."""
    crossings: frozenset[int] = frozenset()
    """State indices of pedestrian crossings (not vehicle links, but served like them)."""
    walkways: tuple[Crossing, ...] = ()
    """The pedestrian crossings with their lengths and the vehicle links crossing them (what
    the clearance after their green is timed from)."""
    intergreens: Intergreens = Intergreens()
    """The all-red each conflicting pair of links needs, from the junction's geometry (used
    when the timing sizes the all-red itself, ``--all-red auto``)."""
    gives_way: frozenset[tuple[int, int]] = frozenset()
    """Pairs ``(i, j)`` of ``conflicts`` (either order) where link ``i`` gives way to link
    ``j`` by the junction's right of way (its ``<request>`` responses)."""
    conflict_lanes: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict, compare=False)
    """For a pair in ``conflicts``: one pair of its links that are foes, as ``from -> to``
    lanes (an index may serve several links, of which maybe one conflicts)."""

    @property
    def movements(self) -> frozenset[int]:
        """State indices that control something: vehicle links and pedestrian crossings (a
        program may also carry indices no connection uses)."""
        return frozenset(link.index for link in self.links) | self.crossings

    @property
    def program(self) -> TimingPlan:
        """The active program as shipped."""
        return self.programs[0]

    @property
    def incoming_lanes(self) -> tuple[str, ...]:
        """Lanes entering the junction, in link order, without repeats."""
        return tuple(dict.fromkeys(link.from_lane for link in self.links))

    @property
    def outgoing_lanes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link.to_lane for link in self.links))

    @property
    def incoming_edges(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link.from_edge for link in self.links))

    def links_of_lane(self, lane: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.from_lane == lane)

    def green_phases(self) -> tuple[Phase, ...]:
        """The distinct green phases of the shipped program, in order (the action set of the
        adaptive controllers and the stages of the fixed-time methods).

        Where the active program leaves a controlled movement never green, the greens of the
        signal's other programs follow (a signal switched between programs that each serve
        only some movements, as SUMO's bs3d game scenario ships)."""
        seen: dict[str, Phase] = {}
        for phase in self.program.phases:
            state = self.yielding(phase.state)
            if is_stage(phase) and state not in seen:
                seen[state] = replace(phase, state=state)
        if not seen:
            raise PlanError(f"traffic light {self.tls_id}: its program has no green phase")
        # SUMO's own programs end a green with crossings red and the vehicles still green
        # (their pedestrian clearance): the same vehicle service with fewer crossings is not
        # a stage of its own (a controller choosing it would never let pedestrians cross)
        for state in list(seen):
            if any(other != state and self._fewer_crossings(state, other) for other in seen):
                del seen[state]
        served = {k for state in seen for k, c in enumerate(state) if c in GREEN}
        if not {link.index for link in self.links} <= served:
            for other in self.programs[1:]:
                for phase in other.phases:
                    state = self.yielding(phase.state) if len(phase.state) == self.size else ""
                    if is_stage(phase) and state and state not in seen:
                        seen[state] = replace(phase, state=state)
        return tuple(seen.values())

    def yielding(self, state: str) -> str:
        """``state`` with every link that has priority green (``G``) beside a conflicting
        ``G`` made to give way (``g``), so no two conflicting links both have priority.

        Programs written by hand (netedit, a city's signal plans) often show ``G`` to a
        right turn beside the crossing its pedestrians walk, or to two streams merging into
        one lane, relying on the rule that turning traffic gives way. The one that gives way
        is the one the junction's right of way says (``gives_way``); else the vehicle
        beside a pedestrian crossing; else the later link. A state without such pairs is
        returned as it is."""
        if len(state) != self.size:
            return state
        chars = list(state)
        for i, j in sorted(self.conflicts):
            if chars[i] != "G" or chars[j] != "G":
                continue
            if (i, j) in self.gives_way or (j in self.crossings and i not in self.crossings):
                chars[i] = "g"
            else:
                chars[j] = "g"
        return "".join(chars)

    def _fewer_crossings(self, state: str, other: str) -> bool:
        """Whether ``state`` is ``other`` with some of its green crossings red."""
        fewer = False
        for k, (a, b) in enumerate(zip(state, other, strict=True)):
            if k in self.crossings and a not in GREEN and b in GREEN:
                fewer = True
            elif a != b:
                return False
        return fewer


@dataclass(frozen=True)
class SignalNetwork:
    """The signals of a network and the lane graph the controllers and sizing methods need."""

    net_path: Path
    signals: Mapping[str, Signal]
    lanes: Mapping[str, LaneGeom]
    lane_next: Mapping[str, tuple[str, ...]]
    """Lane → lanes it connects to at its downstream junction."""
    lane_prev: Mapping[str, tuple[str, ...]]
    """Lane → lanes that connect into it at its upstream junction (U-turns left out)."""
    edge_lanes: Mapping[str, tuple[str, ...]]
    """Edge → its lanes, rightmost first."""
    edge_from_tls: Mapping[str, str] = field(default_factory=dict)
    """Edge → the signal at its upstream end (absent when unsignalised)."""
    edge_to_tls: Mapping[str, str] = field(default_factory=dict)
    """Edge → the signal at its downstream end (absent when unsignalised)."""
    sources: frozenset[str] = frozenset()
    """Edges with no predecessor: where vehicles enter the network."""
    junction_types: Mapping[str, str] = field(default_factory=dict)
    """Junction id → SUMO junction type (``traffic_light``, ``priority``, ...)."""
    junction_internal: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Junction id → its internal lanes (where vehicles wait inside it)."""
    edge_from_node: Mapping[str, str] = field(default_factory=dict)
    """Edge → the junction it starts at."""
    uturns: frozenset[tuple[str, str]] = frozenset()
    """(from lane, to lane) of the connections that turn back (SUMO direction ``t``)."""
    yields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Lane (or internal lane) with a link that gives way at an unsignalised junction → the
    incoming lanes of the links it gives way to."""

    def signal(self, tls_id: str) -> Signal:
        """The signal ``tls_id``; :class:`PlanError` naming the known ones otherwise."""
        try:
            return self.signals[tls_id]
        except KeyError:
            owner = next((s.tls_id for s in self.signals.values() if tls_id in s.junctions), None)
            if owner is not None:
                raise PlanError(
                    f"{self.net_path.name}: junction {tls_id!r} is controlled by traffic light "
                    f"{owner!r}; name the traffic light"
                ) from None
            kind = self.junction_types.get(tls_id)
            if kind is not None:
                raise PlanError(
                    f"{self.net_path.name}: junction {tls_id!r} is not signalised (type {kind}); "
                    "name a traffic light"
                ) from None
            raise PlanError(
                f"{self.net_path.name}: no traffic light {tls_id!r} ({self.known_ids()})"
            ) from None

    def known_ids(self, most: int = 12) -> str:
        """The network's traffic light ids in words, for a message naming one it lacks
        ("its traffic lights: '0', '1' and 3 more"; quoted, as an id may be a number)."""
        if not self.signals:
            return "it has no traffic lights"
        ids = sorted(self.signals)
        shown = ", ".join(repr(t) for t in ids[:most])
        more = "" if len(ids) <= most else f" and {len(ids) - most} more"
        return f"its traffic light{'s' if len(ids) > 1 else ''}: {shown}{more}"

    def select(self, tls_ids: tuple[str, ...] | list[str] | None) -> tuple[Signal, ...]:
        """The named signals (all of them for None or empty), checked to exist.

        Raises
        ------
        PlanError
            If the network has no traffic lights, or a name is not one of them (a junction
            that exists but is not signalised is named as such).
        """
        if not self.signals:
            raise PlanError(f"{self.net_path.name}: the network has no traffic lights to time")
        if not tls_ids:
            return tuple(self.signals[t] for t in sorted(self.signals))
        return tuple(self.signal(t) for t in tls_ids)


def read_signals(net: Path, additionals: Sequence[Path] = ()) -> SignalNetwork:
    """Read the signals and lane graph of a SUMO ``.net.xml``, with the programs that
    ``additionals`` (a scenario's additional files) load for its signals.

    SUMO runs the program it loads last, so a program from an additional file comes first
    in its signal's ``programs`` (the one the methods start from, "as shipped").

    Raises
    ------
    InputError
        If the file is missing or not a SUMO network.
    PlanError
        If an additional file's program does not fit its signal.
    """
    from signals._sumonet import read
    from signals._tlsxml import parse

    network = read(net)
    loaded: dict[str, list[TimingPlan]] = {}
    for path in additionals:
        for plan in parse(path, required=False):
            signal = network.signals.get(plan.tls_id)
            if signal is None:
                raise PlanError(f"{path}: tlLogic {plan.tls_id!r} is not a traffic light of {net.name}")
            if any(len(phase.state) != signal.size for phase in plan.phases):
                raise PlanError(
                    f"{path}: tlLogic {plan.tls_id!r} program {plan.program_id!r} has states of "
                    f"{len(plan.phases[0].state)} signals; the network's {plan.tls_id!r} has {signal.size}"
                )
            loaded.setdefault(plan.tls_id, []).append(plan)
    if not loaded:
        return network
    signals = dict(network.signals)
    for tls, plans in loaded.items():
        ids = {p.program_id for p in plans}
        older = tuple(p for p in signals[tls].programs if p.program_id not in ids)
        signals[tls] = replace(signals[tls], programs=(*reversed(plans), *older))
    return replace(network, signals=signals)
