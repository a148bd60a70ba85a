"""Phase arithmetic: the yellow and all-red states between two greens, and fixed-time
programs built from a sequence of green stages.

Every switch a method makes goes through :func:`transition`, so a link that loses its green
always shows yellow first (and then red for the all-red time), links green in both stages
keep their green through the change, and a pedestrian crossing that loses its green turns red
early enough for someone who stepped off the kerb at its last second to reach the far side
before any vehicle crossing their path gets priority green.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from its.control import Phase, TimingPlan
from signals.model import (
    GREEN,
    LATE_END,
    LATE_START,
    LATE_WALK,
    LEADING_WALK,
    PEDESTRIAN_CLEARANCE,
    Crossing,
    Intergreens,
    Signal,
    is_stage,
)

__all__ = ["Stage", "Timing", "build_plan", "clearance_s", "green_stages", "split_greens", "transition"]


@dataclass(frozen=True)
class Timing:
    """Clearance and green bounds, seconds, shared by every method.

    ``yellow_s`` and ``all_red_s`` are the intergreen after each green (no all-red by
    default, as in the benchmark's own measurements; a safety margin an engineer may add:
    adaptive controllers also hold red while vehicles are still inside the junction, see
    ``max_clearance_extension_s``); ``min_green_s`` the
    shortest green any method may give; ``max_green_s`` the longest an adaptive controller
    holds one green while others wait; cycles of fixed-time plans stay within
    ``[min_cycle_s, max_cycle_s]``. Adaptive controllers hold the red of a switch while
    vehicles of the links losing green are still inside the junction, for at most
    ``max_clearance_extension_s`` more (a field controller's all-red extension). In a large
    cluster junction vehicles can need longer than 4 s to clear: with 4 s, lookahead locked
    cologne3's cluster for good on seeds 8 and 12 of 1-12 (vehicles of four approaches
    inside it at once, each waiting for another); with 10 s none, and no held-out figure
    of the benchmark maps moved by more than its seed-to-seed noise.
    """

    yellow_s: float = 3.0
    all_red_s: float = 0.0
    min_green_s: float = 5.0
    max_green_s: float = 90.0
    min_cycle_s: float = 30.0
    max_cycle_s: float = 180.0
    max_clearance_extension_s: float = 10.0
    walking_speed_ms: float = 1.2
    """Walking speed the pedestrian clearance is timed for (HCM and RiLSA: 1.2 m/s; MUTCD's
    3.5 ft/s is 1.07 m/s)."""
    all_red_auto: bool = False
    """Lengthen each change's all-red to what the junction's geometry needs between the
    links losing green and the conflicting links gaining it (the signal's intergreen
    matrix, :class:`signals.model.Intergreens`), never below ``all_red_s``."""
    min_walk_s: float | None = None
    """Shortest walk a pedestrian crossing shows once lit (None: ``min_green_s``; MUTCD
    asks 7 s, or 4 s where few people walk)."""
    max_walk_cycle_s: float = math.inf
    """Longest cycle Webster and derived plans choose at a junction with signalised
    pedestrian crossings, where a feasible one is that short (a coordinated group's common
    cycle may be longer; ``inf``: no cap). A walker who just missed the walk waits nearly a
    cycle: on a mid-block crossing Webster chose 180 s for the cars, and walkers lost 108 s
    each (62 s with a 90 s cap, the cars 1 s more). A choice already under the cap stays.
    Not the default: measured biting on that one hand-built crossing only. Guidelines for
    walkable streets keep cycles at 60-90 s (NACTO)."""
    max_pedestrian_wait_s: float = 60.0
    """Adaptive controllers change to a green serving a crossing once someone has waited
    this long there (a pedestrian call no vehicle demand can hold off for good)."""
    late_walks: bool = True
    """Fixed-time plans start a walk once the last vehicle that has just lost its green
    and crosses its path is past it (RiLSA; see :func:`transition`). False: the walk starts
    with its stage's green, as in common US practice (the all-red is the only clearance)."""
    leading_walk_s: float = 0.0
    """Fixed-time plans show a walk this long before the vehicles of its own stage that
    cross its path get their green (a leading pedestrian interval; 0: none)."""

    @property
    def intergreen_s(self) -> float:
        return self.yellow_s + self.all_red_s

    @property
    def walk_s(self) -> float:
        """The shortest walk (``min_walk_s``, else the minimum green)."""
        return self.min_green_s if self.min_walk_s is None else self.min_walk_s

    def longest_cycle_s(self, walked: bool) -> float:
        """The longest cycle a fixed plan may choose at a junction, ``walked`` when it has
        signalised crossings (``max_walk_cycle_s`` then, never below ``min_cycle_s``)."""
        if not walked:
            return self.max_cycle_s
        return max(self.min_cycle_s, min(self.max_cycle_s, self.max_walk_cycle_s))

    def stage_min_s(self, state: str, crossings: frozenset[int]) -> float:
        """The shortest green of a stage showing ``state``: the minimum green, and the
        minimum walk when it walks one of ``crossings``."""
        walks = any(state[k] in GREEN for k in crossings if k < len(state))
        return max(self.min_green_s, self.walk_s) if walks else self.min_green_s


@dataclass(frozen=True)
class Stage:
    """A green stage of a fixed-time plan: its state and green time (seconds)."""

    state: str
    green_s: float
    min_s: float | None = None
    max_s: float | None = None


@lru_cache(maxsize=8192)
def transition(
    current: str,
    following: str,
    timing: Timing,
    walkways: tuple[Crossing, ...] = (),
    intergreens: Intergreens = Intergreens(),
    late_walks: bool = False,
) -> tuple[Phase, ...]:
    """The phases between two green states: pedestrian clearance, late ends, yellow,
    all-red, late starts, and with ``late_walks`` the late walks.

    A link green in ``current`` and not in ``following`` turns yellow, then red; a link green
    in both stays green (as it is in ``current``); every other link keeps its current state.
    No phases when no link loses its green. (A protected turn becoming permissive, ``G`` to
    ``g``, keeps its green, as in SUMO's own programs: a yellow there made cologne3's
    cluster junction lock on most seeds under max-pressure.)

    A pedestrian crossing of ``walkways`` losing its green turns red at once (pedestrian
    signals have no yellow). Before a vehicle link crossing its path turns priority green,
    the crossing's length at ``timing.walking_speed_ms`` must pass: in ``following``, and
    with ``late_walks`` (a fixed-time plan) also in a later change, at the soonest once
    ``following`` has had its minimum green. What the change does not cover comes first
    as a pedestrian clearance phase, crossings red and the stage's vehicles still green
    (the flashing "don't walk" of a pedestrian signal, timed as HCM, RiLSA and SUMO's own
    programs do).

    With ``timing.all_red_auto`` each link gaining green waits what ``intergreens`` says
    the conflicting links losing green need before it, in whole seconds up: the all-red
    lasts until the first of them may go (at least ``timing.all_red_s``), and the others
    follow in ``late start`` phases, one per distinct wait, while the links already green
    go (RiLSA's intergreens per pair of signal groups). The change ends when the last
    conflict has cleared, as a single all-red for the worst pair would, but the links
    clear of it do not wait for it. (A cyclist crossing a 50 m junction at 4 m/s holds
    only the links crossing their path, not every link for 13 s.) Links losing green
    whose own vehicles clear soon keep their green meanwhile, as long as every foe still
    gets its intergreen after their yellow (``late end`` phases; with the signal's
    conflict table in ``intergreens`` only).

    With ``late_walks`` (fixed-time plans, which cannot see a vehicle still crossing) and
    ``timing.late_walks``, a crossing starting its walk in ``following`` stays red while its
    vehicles already go, until the last vehicle of a link losing green and crossing its path
    is past it (``intergreens.walks``, less the all-red), in whole seconds up: one phase per
    distinct wait, crossings turning green in the order their waits end. (The adaptive
    controllers hold the walk while such a vehicle is still inside the junction instead.)
    With ``late_walks`` and ``timing.leading_walk_s``, the vehicles starting their green
    across a walk starting wait that long after it (``leading walk`` phases).
    """
    if len(current) != len(following):
        raise ValueError("states of different lengths")
    walks = {c.index for c in walkways}
    losing = [a in GREEN and b not in GREEN for a, b in zip(current, following, strict=True)]
    if not any(losing):
        return ()
    vehicles = [lose and k not in walks for k, lose in enumerate(losing)]
    change: list[Phase] = []
    if any(vehicles):
        yellow = "".join(
            "y" if vehicle else "r" if lose else a for a, lose, vehicle in zip(current, losing, vehicles, strict=True)
        )
        starts: dict[int, float] = {}
        all_red = timing.all_red_s
        if timing.all_red_auto:
            starts = {j: float(ceil(s - 1e-9)) for j, s in intergreens.late_start_s(current, following).items()}
            gaining = [k for k, (a, b) in enumerate(zip(current, following, strict=True)) if b in GREEN and a not in GREEN and k not in walks]
            all_red = max(all_red, min((starts.get(k, 0.0) for k in gaining), default=0.0))
        change.append(Phase(yellow, timing.yellow_s, name="yellow"))
        if all_red > 0:
            red = "".join("r" if lose else a for a, lose in zip(current, losing, strict=True))
            change.append(Phase(red, all_red, name="all-red"))
        change.extend(_starts(current, following, timing, walkways, intergreens, all_red, starts, late_walks))
        if timing.all_red_auto and intergreens.conflicts:
            change = _late_ends(change, current, following, timing, walkways, intergreens)
    # a foe released now has the yellow and the timing's all-red after the walk's end; in a
    # fixed plan, one released later this whole change and the next green's minimum
    now = timing.intergreen_s if any(vehicles) else 0.0
    later = sum(p.duration for p in change) + timing.min_green_s
    needed = 0.0
    for c in walkways:
        if not losing[c.index]:
            continue
        if c.released(current, following):
            needed = max(needed, c.length_m / timing.walking_speed_ms - now)
        elif late_walks and c.foes:
            needed = max(needed, c.length_m / timing.walking_speed_ms - later)
    phases = []
    if needed > 1e-9:
        walking = "".join("r" if lose and k in walks else a for k, (a, lose) in enumerate(zip(current, losing, strict=True)))
        phases.append(Phase(walking, float(ceil(needed - 1e-9)), name=PEDESTRIAN_CLEARANCE))
    phases.extend(change)
    return tuple(phases)


def _late_ends(
    change: list[Phase],
    current: str,
    following: str,
    timing: Timing,
    walkways: tuple[Crossing, ...],
    intergreens: Intergreens,
) -> list[Phase]:
    """``change`` (the yellow, all-red and late starts of ``current -> following``, every
    link losing green turning yellow at once) with each vehicle link losing green kept
    green as long as every conflicting link starting its green, in this change or at the
    soonest as it ends, still gets the intergreen the matrix asks after its yellow (at
    least ``timing.all_red_s``), in whole seconds: a late end.

    Where one link's vehicles need long to clear (a cyclist 50 m across), the links
    clearing soon keep their green while it clears, instead of standing red, and no link
    starts later than it did. A link crossing a pedestrian crossing keeps the common
    yellow: its vehicles may stand inside the junction for walkers, where a late end would
    leave them in the path of the links starting after it (on Braunschweig's research
    junction with its bicycles, late ends there let lookahead lock the junction: 2,687
    through instead of 5,091), and a late walk is timed from the common yellow."""
    yellow_s = timing.yellow_s
    ends = [0.0]
    for phase in change:
        ends.append(ends[-1] + phase.duration)
    total = ends[-1]
    start: dict[int, float] = {}
    for phase, begin in zip(change, ends, strict=False):
        for k, c in enumerate(phase.state):
            if c in GREEN and current[k] not in GREEN and k not in start:
                start[k] = begin
    for k, c in enumerate(following):
        if c in GREEN and current[k] not in GREEN:
            start.setdefault(k, total)
    needs = {(i, j): s for i, j, s in intergreens.needs}
    walked = {k for c in walkways for k in c.foes}
    crossings = {c.index for c in walkways}
    late: dict[int, float] = {}
    for i, (a, b) in enumerate(zip(current, following, strict=True)):
        if a not in GREEN or b in GREEN or i in crossings or i in walked:
            continue
        bound = total - yellow_s
        for j in range(len(current)):
            if (min(i, j), max(i, j)) in intergreens.conflicts:
                # a foe starting in this change, or in a later one (at the soonest as this
                # one ends): each gets its intergreen after this link's yellow
                at = start.get(j, total)
                bound = min(bound, at - yellow_s - max(needs.get((i, j), 0.0), timing.all_red_s))
        bound = float(int(bound + 1e-9))
        if bound >= 1.0:
            late[i] = bound
    if not late:
        return change
    cuts = sorted({*ends, *late.values(), *(t + yellow_s for t in late.values())})
    out: list[Phase] = []
    for begin, end in zip(cuts, cuts[1:], strict=False):
        phase = change[max(n for n, t in enumerate(ends[:-1]) if t <= begin + 1e-9)]
        state = list(phase.state)
        for i, t in late.items():
            state[i] = current[i] if begin < t - 1e-9 else "y" if begin < t + yellow_s - 1e-9 else "r"
        shown = "".join(state)
        name = phase.name
        if "y" in shown:
            name = "yellow"
        elif name in ("yellow", "all-red") and any(shown[i] in GREEN for i in late):
            name = LATE_END
        if out and out[-1].state == shown and out[-1].name == name:
            out[-1] = Phase(shown, out[-1].duration + end - begin, name=name)
        else:
            out.append(Phase(shown, end - begin, name=name))
    return out


def _starts(
    current: str,
    following: str,
    timing: Timing,
    walkways: tuple[Crossing, ...],
    intergreens: Intergreens,
    all_red: float,
    starts: dict[int, float],
    late_walks: bool,
) -> list[Phase]:
    """The phases at the start of a green before all of it shows, one per distinct start:
    each link gaining green waits for its own intergreen (``starts``, seconds after the
    yellow; a late start, with the crossings starting their walk held too when
    ``late_walks`` is false: adaptive control shows a walk itself once the change is over);
    with ``late_walks``, each crossing starting its walk waits for its late walk
    (``timing.late_walks``), and then, with ``timing.leading_walk_s``, the vehicle links
    starting their green across its path wait that long more (a leading pedestrian
    interval)."""
    start_at = {k: s - all_red for k, s in starts.items() if s > all_red + 1e-9}
    late = set(start_at)
    walk_at: dict[int, float] = {}
    if late_walks and timing.late_walks:
        walk_at = {c: float(ceil(s - all_red - 1e-9)) for c, s in intergreens.late_walk_s(current, following).items() if s > all_red + 1e-9}
    if late_walks:
        for c, at in walk_at.items():
            start_at[c] = max(start_at.get(c, 0.0), at)
        if timing.leading_walk_s > 0:
            for c in walkways:
                if following[c.index] in GREEN and current[c.index] not in GREEN:
                    lead = start_at.get(c.index, 0.0) + timing.leading_walk_s
                    for k in c.foes:
                        if following[k] in GREEN and current[k] not in GREEN:
                            start_at[k] = max(start_at.get(k, 0.0), lead)
    elif start_at:
        last = max(start_at.values())
        for c in walkways:
            if following[c.index] in GREEN and current[c.index] not in GREEN:
                start_at[c.index] = last
    phases = []
    done = 0.0
    for until in sorted(set(start_at.values())):
        held = {k for k, at in start_at.items() if at > done}
        state = "".join("r" if k in held else a for k, a in enumerate(following))
        name = LATE_START if held & late else LATE_WALK if held & set(walk_at) else LEADING_WALK
        phases.append(Phase(state, until - done, name=name))
        done = until
    return phases


@lru_cache(maxsize=8192)
def clearance_s(
    current: str,
    following: str,
    timing: Timing,
    walkways: tuple[Crossing, ...] = (),
    intergreens: Intergreens = Intergreens(),
    late_walks: bool = False,
) -> float:
    """Seconds between two green states: pedestrian clearance, yellow, all-red and with
    ``late_walks`` the late walks (0 when nothing loses green)."""
    return sum(p.duration for p in transition(current, following, timing, walkways, intergreens, late_walks))


def build_plan(
    tls_id: str,
    stages: Sequence[Stage],
    timing: Timing,
    *,
    program_id: str,
    offset: float = 0.0,
    type: str = "static",
    walkways: tuple[Crossing, ...] = (),
    intergreens: Intergreens = Intergreens(),
) -> TimingPlan:
    """A program cycling through ``stages`` with a transition after each (the last back to
    the first), pedestrian clearances timed for ``walkways``, all-reds for ``intergreens``
    when ``timing`` sizes them, and late walks for ``intergreens`` (a stage's green begins
    with them: its vehicles are green there). ``offset`` is taken modulo the cycle."""
    phases: list[Phase] = []
    for i, stage in enumerate(stages):
        phases.append(Phase(stage.state, float(stage.green_s), stage.min_s, stage.max_s, name=f"stage {i + 1}"))
        following = stages[(i + 1) % len(stages)].state
        phases.extend(transition(stage.state, following, timing, walkways, intergreens, late_walks=True))
    plan = TimingPlan(tls_id=tls_id, program_id=program_id, phases=tuple(phases), type=type)
    cycle = plan.cycle_s
    return TimingPlan(
        tls_id=tls_id,
        program_id=program_id,
        phases=plan.phases,
        offset=round(offset % cycle, 1) if cycle > 0 else 0.0,
        type=type,
    )


def green_stages(plan: TimingPlan) -> tuple[Stage, ...]:
    """The green stages of a plan with the time each gets (transitions and pedestrian
    clearances left out)."""
    return tuple(Stage(p.state, p.duration, p.min_dur, p.max_dur) for p in plan.phases if is_stage(p))


def split_greens(signal: Signal) -> tuple[str, ...]:
    """Split-phase greens beyond the shipped program's: per incoming edge, every link of it
    green with priority (its left turns protected alongside its through traffic, as in a
    split or lead-lag phase), joined, lane by lane, by the whole lanes of other approaches
    that conflict with none already in (a lane half served is blocked by its first vehicle
    bound for the red link). Only links the program shows green somewhere take part; one the
    program never gives priority (``G``) stays ``g``, and one it shows as ``s`` (turn after
    stopping) keeps that where it is not green. States no richer than one of the program's
    greens are left out."""
    greens = [p.state for p in signal.green_phases()]
    program = [
        ({i for i, c in enumerate(g) if c in GREEN}, {i for i, c in enumerate(g) if c == "G"}) for g in greens
    ]
    shown = set().union(*(served for served, _ in program))
    # only what the program protects somewhere is protected here (a turn it only ever lets
    # yield may yield to something the conflict table does not show, e.g. pedestrians)
    priority = set().union(*(protected for _, protected in program))
    stop_go = {i for g in greens for i, c in enumerate(g) if c == "s"}
    foes: dict[int, set[int]] = {}
    for i, j in signal.conflicts:
        foes.setdefault(i, set()).add(j)
        foes.setdefault(j, set()).add(i)

    def crosses(links: set[int], chosen: set[int]) -> bool:
        return any(foes.get(i, set()) & chosen for i in links)

    out: list[str] = []
    for edge in signal.incoming_edges:
        chosen = {lk.index for lk in signal.links if lk.from_edge == edge and lk.index in shown}
        if not chosen or crosses(chosen, chosen):
            continue
        for lane in signal.incoming_lanes:
            links = {lk.index for lk in signal.links if lk.from_lane == lane and lk.index in shown}
            if links and not links & chosen and not crosses(links, chosen):
                chosen |= links
        served, protected = chosen, chosen & priority
        if any(served <= s and protected <= p for s, p in program):
            continue
        # the pedestrian crossings no chosen link crosses walk with it
        walking = {c.index for c in signal.walkways if c.index in shown and not c.foes & chosen}
        served, protected = served | walking, protected | walking
        state = "".join(
            ("G" if i in protected else "g") if i in served else "s" if i in stop_go else "r" for i in range(signal.size)
        )
        if state not in out:
            out.append(state)
    return tuple(out)
