"""Webster sizing: per-junction cycle and green splits from flows.

Classic Webster (``C0 = (1.5 L + 5) / (1 - Y)``, greens in proportion to critical flow
ratios) assumes every lane is served by exactly one stage. Real junctions have shared lanes
(through and turning traffic in one lane), movements served in two stages (a protected and a
permissive left) and unbalanced stages, so the critical flow ratio ``Y`` and the splits come
from a small linear programme instead: find green shares that give every lane the same, as
large as possible, reserve of capacity over its flow (equal degree of saturation on the
critical lanes, which is Webster's own criterion). Stages no movement needs are dropped, and
the cycle is the one with the least estimated delay within the bounds of
:class:`signals.phases.Timing` (Webster's optimum where his formula holds; the formula's
value is reported beside it); minimum greens are respected.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from its.control import TimingPlan
from its.errors import InfeasibleError, InputError
from signals.flows import Flows, require_flows
from signals.model import LATE_WALK, PEDESTRIAN_CLEARANCE, Link, Signal, green_indices
from signals.phases import Stage, Timing, build_plan, green_stages, transition

__all__ = ["Saturation", "Sizing", "estimated_delay", "most_served", "size", "splits", "webster"]


@dataclass(frozen=True)
class Saturation:
    """Saturation flow per lane and the factors of turning and permissive movements.

    ``base_veh_h`` is vehicles per hour of green per lane for straight-through traffic; a
    movement's flow counts ``1 / factor`` times against it (HCM's adjustment factors).
    ``measured`` holds saturation flows measured for single movements, keyed by
    ``(from_lane, to_lane)`` (see :mod:`signals.saturation`); they replace the base flow and
    turn factor of those movements (a permissive left still gets the permissive factor).
    """

    base_veh_h: float = 1800.0
    right: float = 0.85
    """A turn to the kerb side (right, or left where traffic drives on the left)."""
    left: float = 0.95
    """A turn across oncoming traffic (left, or right where traffic drives on the left)."""
    u_turn: float = 0.6
    permissive: float = 0.5
    """Extra factor of a turn across oncoming traffic or a U-turn on a permissive (``g``) green."""
    measured: Mapping[tuple[str, str], float] = field(default_factory=dict, hash=False, compare=False)

    def factor(self, link: Link, signal: str) -> float:
        """Share of the base saturation flow ``link`` reaches when it shows ``signal``."""
        if signal not in "Gg":
            return 0.0
        direction = link.direction
        measured = self.measured.get((link.from_lane, link.to_lane))
        if measured is not None:
            turn = measured / self.base_veh_h
        elif direction == "t":
            turn = self.u_turn
        elif direction in ("l", "L", "r", "R"):  # on the left-hand side of the road the mirror
            turn = self.left if link.crosses_oncoming else self.right
        else:
            turn = 1.0
        if signal == "g" and (direction == "t" or link.crosses_oncoming):
            turn *= self.permissive
        return turn


@dataclass(frozen=True)
class Sizing:
    """Webster's numbers for one junction (times in seconds)."""

    tls_id: str
    flow_ratio: float
    """Critical flow ratio ``Y`` (demand over capacity with no lost time)."""
    lost_s: float
    webster_cycle_s: float
    """Webster's formula ``(1.5 L + 5) / (1 - Y)`` (unbounded; inf when oversaturated)."""
    cycle_s: float
    """The cycle chosen: the one with the least estimated delay within the bounds."""
    stages: tuple[str, ...]
    greens_s: tuple[float, ...]
    saturation: float
    """Highest degree of saturation of a lane with these greens."""
    delay_s: float
    """Estimated mean delay per vehicle (HCM uniform plus random delay), seconds."""


def _lane_table(
    signal: Signal, stages: Sequence[str], link_flows: Sequence[float], sat: Saturation
) -> tuple[np.ndarray, np.ndarray]:
    """Per lane: flow (veh/h) and capacity per hour of green in each stage (veh/h)."""
    lanes = signal.incoming_lanes
    sharing = {link.index: sum(1 for lk in signal.links if lk.index == link.index) for link in signal.links}
    flows = np.zeros(len(lanes))
    capacity = np.zeros((len(lanes), len(stages)))
    for i, lane in enumerate(lanes):
        own = signal.links_of_lane(lane)
        link_flow = [link_flows[link.index] / sharing[link.index] for link in own]
        lane_flow = sum(link_flow)
        flows[i] = lane_flow
        for j, state in enumerate(stages):
            if lane_flow > 0:
                capacity[i, j] = sat.base_veh_h * sum(
                    f / lane_flow * sat.factor(link, state[link.index]) for f, link in zip(link_flow, own, strict=True)
                )
            else:
                capacity[i, j] = sat.base_veh_h * float(np.mean([sat.factor(link, state[link.index]) for link in own]))
    return flows, capacity


def splits(flows: np.ndarray, capacity: np.ndarray, *, total: float, minimum: Sequence[float]) -> tuple[np.ndarray, float]:
    """Greens (seconds, summing to ``total``) that maximise the common capacity reserve.

    Solves (OR-Tools GLOP): maximise ``m`` subject to ``capacity @ (g / total) >= m * flows``
    and ``g >= minimum`` (lanes without traffic left out). Returns the greens and ``m``, the
    inverse of the critical flow ratio (of the degree of saturation when ``total`` is the
    whole cycle).

    Raises
    ------
    InfeasibleError
        If some lane with traffic is never served, or the minimum greens exceed ``total``.
    """
    from ortools.linear_solver import pywraplp

    if sum(minimum) > total + 1e-9:
        raise InfeasibleError(f"minimum greens ({sum(minimum):g} s) exceed the green time available ({total:g} s)")
    keep = flows > 0
    if (capacity[keep].sum(axis=1) <= 0).any():
        raise InfeasibleError("a lane with traffic is green in no stage")
    solver = pywraplp.Solver.CreateSolver("GLOP")
    shares = [solver.NumVar(m / total, 1.0, f"x{i}") for i, m in enumerate(minimum)]
    reserve = solver.NumVar(0.0, solver.infinity(), "m")
    solver.Add(sum(shares) == 1.0)
    for lane_capacity, q in zip(capacity[keep], flows[keep], strict=True):
        solver.Add(sum(float(c) * x for c, x in zip(lane_capacity, shares, strict=True)) >= float(q) * reserve)
    solver.Maximize(reserve)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:  # pragma: no cover - feasible by the checks above
        raise InfeasibleError("no green split found")
    return np.array([x.solution_value() for x in shares]) * total, float(reserve.solution_value())


def _choose_stages(
    flows: np.ndarray, capacity: np.ndarray, served: np.ndarray, cycle: float, intergreen: np.ndarray, minimum: np.ndarray
) -> tuple[int, ...] | None:
    """Which stages to use in one cycle: a mixed-integer programme (OR-Tools CP-SAT through
    the linear solver wrapper) maximising the capacity reserve, where each used stage costs
    its intergreen and at least its minimum green (``minimum[i]``: a walking stage's minimum
    walk), and every movement (row of ``served``: the stages showing it green) is shown green
    by some used stage."""
    from ortools.linear_solver import pywraplp

    n = capacity.shape[1]
    keep = flows > 0
    solver = pywraplp.Solver.CreateSolver("SCIP")
    greens = [solver.NumVar(0.0, cycle, f"g{i}") for i in range(n)]
    used = [solver.BoolVar(f"u{i}") for i in range(n)]
    reserve = solver.NumVar(0.0, solver.infinity(), "m")
    solver.Add(sum(greens) + sum(float(intergreen[i]) * used[i] for i in range(n)) == cycle)
    for i in range(n):
        solver.Add(greens[i] >= float(minimum[i]) * used[i])
        solver.Add(greens[i] <= cycle * used[i])
    for lane_capacity, q in zip(capacity[keep], flows[keep], strict=True):
        solver.Add(sum(float(c) / cycle * g for c, g in zip(lane_capacity, greens, strict=True)) >= float(q) * reserve)
    for lane_served in served:
        if lane_served.any():
            solver.Add(sum(used[i] for i in range(n) if lane_served[i]) >= 1)
    solver.Maximize(reserve)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return tuple(i for i in range(n) if used[i].solution_value() > 0.5)


def _delay(
    flows: np.ndarray, capacity: np.ndarray, greens: np.ndarray, cycle: float, floor_veh_h: float = 0.0
) -> tuple[float, float]:
    """Mean delay per vehicle (HCM uniform and random delay over a quarter hour, seconds)
    and the highest degree of saturation, for greens (seconds per stage) in ``cycle``; each
    lane some stage serves counts at least ``floor_veh_h``."""
    q_all = np.maximum(flows, floor_veh_h * (capacity.max(axis=1) > 0))
    keep = q_all > 0
    q = q_all[keep]
    cap_h = capacity[keep] @ greens / cycle  # veh/h
    sat_h = capacity[keep].max(axis=1)
    x = q / np.maximum(cap_h, 1e-9)
    share = np.minimum(cap_h / np.maximum(sat_h, 1e-9), 1.0)
    uniform = 0.5 * cycle * (1 - share) ** 2 / np.maximum(1 - np.minimum(x, 1.0) * share, 1e-9)
    period_h = 0.25
    random = 900 * period_h * ((x - 1) + np.sqrt((x - 1) ** 2 + 4 * x / np.maximum(cap_h * period_h, 1e-9)))
    delay = uniform + random
    return float((q * delay).sum() / q.sum()), float(x.max())


def size(
    signal: Signal,
    link_flows: Sequence[float],
    timing: Timing = Timing(),
    *,
    stages: Sequence[str] | None = None,
    saturation: Saturation = Saturation(),
    cycle_s: float | None = None,
    startup_s: float = 2.0,
    extension_s: float = 2.0,
    cycle_step_s: float = 2.0,
    min_flow_veh_h: float = 12.0,
) -> Sizing:
    """Webster sizing of ``signal`` over its own green stages (or ``stages``).

    Stages no movement needs (each of theirs also green in another stage) are dropped so the
    cycle loses no time to them; the cycle is the one within ``timing``'s bounds with the
    least estimated delay (HCM's uniform plus random delay), which is Webster's optimum
    where his formula holds (at a junction with signalised crossings no longer than
    ``timing.max_walk_cycle_s`` where one that short serves every lane); ``cycle_s`` fixes
    it instead (for coordination). In that
    estimate every lane counts at least ``min_flow_veh_h`` (a vehicle every five minutes):
    a lane nobody was counted on is still driven on, and pricing it at zero made a nearly
    idle junction take the longest cycle (its busy stage gains a little from every extra
    second while a vehicle on the idle one would wait minutes). Lost time per
    stage: its clearance plus ``startup_s`` minus ``extension_s`` (the part of the yellow
    still used). A pedestrian clearance after a stage is not lost: the stage's vehicles are
    still green; the walk before it keeps the minimum green.

    Raises
    ------
    InputError
        If no link of the junction carries traffic or the flows do not fit the junction.
    InfeasibleError
        If the stages cannot serve every lane with traffic within the cycle bounds.
    """
    longest = timing.longest_cycle_s(bool(signal.crossings))
    if cycle_s is None and longest < timing.max_cycle_s:
        # sized without the cap first: a narrower range of cycles compares other stage sets
        # (its probes differ), and a choice already under the cap must not change with it
        options = {"startup_s": startup_s, "extension_s": extension_s, "cycle_step_s": cycle_step_s}
        args = {"stages": stages, "saturation": saturation, "min_flow_veh_h": min_flow_veh_h, **options}
        free = size(signal, link_flows, replace(timing, max_walk_cycle_s=math.inf), **args)
        if free.cycle_s <= longest + 1e-9:
            return free
        with contextlib.suppress(InfeasibleError):  # else the longer cycles it needs
            return size(signal, link_flows, replace(timing, max_cycle_s=longest), **args)
        return free
    states = list(stages) if stages is not None else [p.state for p in signal.green_phases()]
    if len(link_flows) != signal.size:
        raise InputError(f"{signal.tls_id}: {len(link_flows)} link flows for {signal.size} links")
    flows, capacity = _lane_table(signal, states, link_flows, saturation)
    # every movement some stage shows green must stay green in some used stage: serving
    # each lane is not enough, a single-lane approach whose right turn is never green is
    # blocked by its first right-turner (cologne8: a left-turn stage chosen over the one
    # with the lane's right turn)
    # (pedestrian crossings included; indices no connection uses are not movements: a
    # stage showing only those would cost a stage's time for nothing, ingolstadt21)
    shows = [green_indices(state) & signal.movements for state in states]
    indices = sorted(frozenset().union(*shows))
    served = np.array([[i in shown for shown in shows] for i in indices], dtype=bool)
    if not (flows > 0).any():
        raise InputError(f"no flows for junction {signal.tls_id}: none of its approaches carries traffic")
    n = len(states)
    per_stage_loss = startup_s - extension_s

    # each change's length, and the seconds of it in which vehicles are still or already
    # green (pedestrian clearance, the stage before's; late walk, the stage after's)
    changes = {(a, b): _change_s(a, b, timing, signal) for a in states for b in states}
    kept = {pair: times[1:] for pair, times in changes.items()}

    def lost_s(a: str, b: str) -> float:
        return changes[a, b][0] - sum(kept[a, b])

    intergreen = np.array(
        [float(np.mean([lost_s(states[i], states[j]) for j in range(n) if j != i])) if n > 1 else 0.0 for i in range(n)]
    )
    unserved = [lane for lane, q, c in zip(signal.incoming_lanes, flows, capacity, strict=True) if q > 0 and c.sum() <= 0]
    if unserved:
        raise InfeasibleError(
            f"{signal.tls_id}: lane {unserved[0]} carries traffic but no green phase of its programs serves it"
        )
    try:
        _, reserve = splits(flows, capacity, total=1.0, minimum=[0.0] * n)
    except InfeasibleError as error:
        raise InfeasibleError(f"{signal.tls_id}: {error}") from None
    flow_ratio = 1.0 / reserve if reserve > 0 else float("inf")
    cycles = (
        [float(cycle_s)]
        if cycle_s is not None
        else [float(c) for c in np.arange(timing.min_cycle_s, timing.max_cycle_s + 1e-9, cycle_step_s)]
    )
    lost = intergreen + per_stage_loss
    # each stage's shortest vehicle green, on the same terms as the split below: its minimum
    # (the minimum walk where it walks a crossing), the pedestrian clearance after it and
    # the late walk before it
    around = [[kept[states[i], states[j]][0] + kept[states[j], states[i]][1] for j in range(n) if j != i] for i in range(n)]
    stage_min = np.array(
        [timing.stage_min_s(a, signal.crossings) + (float(np.mean(g)) if g else 0.0) for a, g in zip(states, around, strict=True)]
    )
    probes = cycles if len(cycles) <= 3 else [cycles[0], cycles[len(cycles) // 2], cycles[-1]]
    found = {cycle: _choose_stages(flows, capacity, served, cycle, lost, stage_min) for cycle in probes}
    # Short cycles favour few stages, but the fewest may not fit the very shortest cycle
    # (four stages with their clearances need 32 s, not 30): also take the stage set of the
    # shortest cycle any set fits, or a lightly loaded junction is left only long cycles
    # with extra stages (grid4x4: 50 s with six stages, 13.1 s estimated delay at 32 s).
    # A set that fits a cycle fits every longer one, so with none at the longest there is
    # nothing to walk to.
    for cycle in cycles if found[cycles[-1]] else ():
        if cycle not in found:
            found[cycle] = _choose_stages(flows, capacity, served, cycle, lost, stage_min)
        if found[cycle]:
            break
    stage_sets = {chosen for chosen in found.values() if chosen}
    best: tuple[float, float, list[int], np.ndarray, np.ndarray, float] | None = None
    for used_set in sorted(stage_sets):
        used = list(used_set)
        order = [states[i] for i in used]
        pairs = [(order[k], order[(k + 1) % len(order)]) for k in range(len(order))] if len(order) > 1 else []
        clearance = sum(lost_s(a, b) for a, b in pairs)
        # a stage's vehicles keep their green through the pedestrian clearance after it and
        # have it already in the late walk before it: that time serves them, and the
        # stage's own green (its walk) keeps its minimum
        ends, lates = np.array([kept[pair] for pair in pairs] or [(0.0, 0.0)]).T
        walk_ends = ends + np.roll(lates, 1)
        minimum = np.array([timing.stage_min_s(s, signal.crossings) for s in order]) + walk_ends
        for cycle in cycles:
            total = cycle - clearance
            if total < minimum.sum() - 1e-9:
                continue
            greens, _ = splits(flows, capacity[:, used], total=total, minimum=list(minimum))
            greens = _round(greens, total, minimum)
            full = np.zeros(n)
            full[used] = greens
            delay, _ = _delay(flows, capacity, full, cycle, min_flow_veh_h)
            if best is None or delay < best[0] - 1e-9:
                best = (delay, cycle, used, greens - walk_ends, full, clearance)
    if best is None:
        raise InfeasibleError(
            f"{signal.tls_id}: no cycle between {timing.min_cycle_s:g} and {timing.max_cycle_s:g} s serves every "
            f"lane with greens of at least {timing.min_green_s:g} s"
        )
    _, cycle, used, greens, full, clearance = best
    delay, worst = _delay(flows, capacity, full, cycle)
    lost = clearance + len(used) * per_stage_loss
    formula = (1.5 * lost + 5.0) / (1.0 - flow_ratio) if flow_ratio < 1 else float("inf")
    return Sizing(
        tls_id=signal.tls_id,
        flow_ratio=flow_ratio,
        lost_s=lost,
        webster_cycle_s=formula,
        cycle_s=float(cycle),
        stages=tuple(states[i] for i in used),
        greens_s=tuple(float(g) for g in greens),
        saturation=worst,
        delay_s=delay,
    )


def estimated_delay(
    signal: Signal,
    plan: TimingPlan,
    link_flows: Sequence[float],
    saturation: Saturation = Saturation(),
    min_flow_veh_h: float = 12.0,
) -> float:
    """Mean delay per vehicle (s) that Webster's model (HCM uniform plus random delay)
    expects of the fixed-time ``plan`` at ``signal`` under ``link_flows``: how :func:`size`
    compares cycles (each lane counting at least ``min_flow_veh_h``), here for any plan.
    Each green stage serves at its own length; the changes' greens (clearances, late walks)
    count as lost."""
    stages = green_stages(plan)
    if not stages or plan.cycle_s <= 0:
        raise InputError(f"{plan.tls_id}: program {plan.program_id!r} has no green stage to estimate")
    flows, capacity = _lane_table(signal, [s.state for s in stages], link_flows, saturation)
    if not (flows > 0).any():
        raise InputError(f"no flows for junction {signal.tls_id}: none of its approaches carries traffic")
    greens = np.array([s.green_s for s in stages])
    return _delay(flows, capacity, greens, plan.cycle_s, min_flow_veh_h)[0]


def most_served(
    signal: Signal,
    link_flows: Sequence[float],
    green_share: float,
    *,
    stages: Sequence[str] | None = None,
    saturation: Saturation = Saturation(),
) -> float:
    """The most vehicles per hour ``signal`` can pass of ``link_flows`` when its greens take
    at most ``green_share`` of the time, by any split of ``stages`` (its programs' greens by
    default), each lane discharging at its saturation flow while green.

    A linear programme (OR-Tools GLOP): maximise the vehicles served over the lanes, each
    at most its flow and at most what the stages' greens give it. It is an upper bound on
    the throughput of every timing of those stages, fixed or adaptive: where the flows
    exceed it, no timing lets them all through (the critical flow ratio ``Y`` says the same
    in time; this says it in vehicles, with the cheapest vehicles served first).
    """
    from ortools.linear_solver import pywraplp

    states = list(stages) if stages is not None else [p.state for p in signal.green_phases()]
    if len(link_flows) != signal.size:
        raise InputError(f"{signal.tls_id}: {len(link_flows)} link flows for {signal.size} links")
    flows, capacity = _lane_table(signal, states, link_flows, saturation)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    shares = [solver.NumVar(0.0, 1.0, f"g{j}") for j in range(len(states))]
    served = [solver.NumVar(0.0, float(q), f"x{i}") for i, q in enumerate(flows)]
    solver.Add(sum(shares) <= max(0.0, float(green_share)))
    for x, lane_capacity in zip(served, capacity, strict=True):
        solver.Add(x <= sum(float(c) * g for c, g in zip(lane_capacity, shares, strict=True)))
    solver.Maximize(sum(served))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:  # pragma: no cover - x = g = 0 is feasible
        raise InfeasibleError(f"{signal.tls_id}: no throughput bound found")
    return float(sum(x.solution_value() for x in served))


def _change_s(current: str, following: str, timing: Timing, signal: Signal) -> tuple[float, float, float]:
    """Seconds of the fixed-time change ``current -> following``: all of it, then those in
    which vehicles are green: its pedestrian clearance (the walk has ended, ``current``'s
    vehicles still go) and its late walk (``following``'s vehicles go, some of its
    crossings not yet)."""
    phases = transition(current, following, timing, signal.walkways, signal.intergreens, late_walks=True)
    return (
        sum(p.duration for p in phases),
        sum(p.duration for p in phases if p.name == PEDESTRIAN_CLEARANCE),
        sum(p.duration for p in phases if p.name == LATE_WALK),
    )


def _round(greens: np.ndarray, total: float, minimum: float | np.ndarray) -> np.ndarray:
    """Whole seconds that keep the sum (largest remainders first) and the minimum."""
    floors = np.maximum(np.floor(greens + 1e-9), minimum)
    left = int(round(total - floors.sum()))
    order = np.argsort(-(greens - np.floor(greens)))
    for k in range(max(0, left)):
        floors[order[k % len(order)]] += 1
    return floors


def webster(
    signals: Sequence[Signal],
    flows: Flows,
    timing: Timing = Timing(),
    *,
    saturation: Saturation = Saturation(),
    program_id: str = "its-webster",
    cycle_s: float | None = None,
    skip_empty: bool = False,
    stages: Mapping[str, Sequence[str]] | None = None,
) -> tuple[tuple[TimingPlan, ...], tuple[Sizing, ...]]:
    """Webster plans (and their numbers) for ``signals`` from ``flows``, each cycling
    through the junction's own green stages (or those ``stages`` gives for it).

    With ``skip_empty`` signals whose approaches carry no traffic are left out (they keep
    their program); otherwise they are an error, as is a set where none carries traffic.
    """
    if skip_empty:
        signals = [s for s in signals if flows.total(s.tls_id) > 0]
        if not signals:
            raise InputError(f"no flows at any signal between {flows.window[0]:g} s and {flows.window[1]:g} s ({flows.source})")
    require_flows(flows, signals)
    plans, sizings = [], []
    for signal in signals:
        own = (stages or {}).get(signal.tls_id)
        sizing = size(signal, flows.of(signal.tls_id), timing, saturation=saturation, cycle_s=cycle_s, stages=own)
        plan = build_plan(
            signal.tls_id,
            [
                Stage(state, green, timing.stage_min_s(state, signal.crossings), None)
                for state, green in zip(sizing.stages, sizing.greens_s, strict=True)
            ],
            timing,
            program_id=program_id,
            walkways=signal.walkways,
            intergreens=signal.intergreens,
        )
        plans.append(plan)
        sizings.append(sizing)
    return tuple(plans), tuple(sizings)
