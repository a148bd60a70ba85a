"""Deployable fixed-time and time-of-day plans derived from an adaptive controller's run,
for junctions whose controllers cannot run adaptive logic.

The adaptive controller logs every state it shows (see
:class:`signals.adaptive.AdaptiveController`); per signal and period this turns the log into
the stage order of the junction, the mean green each stage got per service and the mean
cycle, bounded and rounded like any fixed-time plan.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from its.control import TimingPlan
from its.errors import InfeasibleError, InputError
from signals.model import Signal, green_indices, is_green_state
from signals.phases import Stage, Timing, build_plan, clearance_s, green_stages
from signals.plans import switch_guard, switchable

__all__ = ["Record", "Served", "TimeOfDay", "best_derived", "derive", "read_log", "served", "time_of_day"]


@dataclass(frozen=True)
class Served:
    """One green an adaptive controller showed: signal, state, start and end (seconds)."""

    tls_id: str
    state: str
    begin: float
    end: float


@dataclass(frozen=True)
class TimeOfDay:
    """Plans per period: ``switches[i]`` is when ``plans[i]`` takes over (seconds);
    ``merged`` when some plan merged stages (see :func:`best_derived`)."""

    tls_id: str
    switches: tuple[float, ...]
    plans: tuple[TimingPlan, ...]
    merged: bool = False


#: A log record: time, signal, state shown and (in logs since exit blockage) green served.
Record = tuple[float, str, str] | tuple[float, str, str, str]


def read_log(path: Path) -> list[Record]:
    """The records of an adaptive controller's log (JSON lines)."""
    records: list[Record] = []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                t, tls, state, *serving = json.loads(line)
                records.append((float(t), str(tls), str(state), *(str(g) for g in serving[:1])))
    except (OSError, ValueError, TypeError) as error:
        raise InputError(f"{path}: not a controller log ({error})") from None
    return records


def served(records: Iterable[Record], *, end: float) -> list[Served]:
    """The greens in a log, each from when it was set until its signal served something
    else. A green shown with some links held red (exit blockage) is still that green; a
    record without the green served (older logs) serves the state shown if that is a green."""
    by_signal: dict[str, list[tuple[float, str]]] = {}
    for t, tls, state, *rest in sorted(records, key=lambda r: r[0]):
        serving = rest[0] if rest else (state if is_green_state(state) else "")
        sequence = by_signal.setdefault(tls, [])
        if not sequence or sequence[-1][1] != serving:
            sequence.append((t, serving))
    out = []
    for tls, sequence in by_signal.items():
        for (t, serving), following in zip(sequence, [*sequence[1:], (end, "")], strict=True):
            if serving and following[0] > t:
                out.append(Served(tls, serving, t, following[0]))
    return out


def derive(
    signal: Signal,
    greens: Sequence[Served],
    timing: Timing = Timing(),
    *,
    begin: float,
    end: float,
    program_id: str = "its-derived",
    min_cycle_s: float = 0.0,
    merge: str | None = None,
) -> TimingPlan:
    """A fixed-time plan reproducing what the adaptive controller did at ``signal`` in
    ``[begin, end)``: stages in the junction's order, greens in proportion to the time each
    got, on the mean cycle (time over the services of the most-served stage, at least
    ``min_cycle_s``, and long enough that a stage lifted to its minimum green takes no
    green from the others), within bounds. A split green the controller added counts to
    the program stage most like it, and its other movements' time to the stages showing
    them; a stage it seldom showed is left out when its movements have green elsewhere.

    ``merge`` leaves out more stages whose movements all have green in other stages (a plan
    of fewer stages loses less time to changes): with ``"served"`` every such stage, the
    least served first; with ``"cost"`` one at a time while that saves time (see
    :func:`_merged`). The greens are then the least that give each movement as much green
    as the controller gave it. Which serves a junction best depends on its traffic (see
    :func:`signals.webster.estimated_delay`).

    Raises
    ------
    InputError
        If the controller served no green at this signal in the period.
    """
    own = [g for g in greens if g.tls_id == signal.tls_id and g.end > begin and g.begin < end]
    order = [p.state for p in signal.green_phases()]
    totals = dict.fromkeys(order, 0.0)
    counts = dict.fromkeys(order, 0)
    added = dict.fromkeys(order, 0)
    for g in own:
        # a split phase's time counts to the stage nearest it, but not as a service of its
        # own: it alternates with that stage, and counting both would halve the cycle
        stage = g.state if g.state in totals else _nearest(g.state, order)
        if stage is not None:
            span = min(g.end, end) - max(g.begin, begin)
            totals[stage] += span
            if stage == g.state:
                counts[stage] += 1
            else:
                added[stage] += 1
                # movements of the split green its stage does not show keep that time in
                # the stages that do show them (a right turn let go with the cross street)
                orphans = (green_indices(g.state) - green_indices(stage)) & signal.movements
                for other in order:
                    if other != stage and orphans & green_indices(other):
                        totals[other] += span
    for s in order:
        if not counts[s] and added[s]:
            counts[s] = added[s]
    if not any(counts.values()):
        raise InputError(f"{signal.tls_id}: the adaptive run served no green between {begin:g} and {end:g} s")
    # a stage the controller never needed in the period still runs (at its minimum) when it
    # is the only one with some movement: a fixed plan cannot wait for a call
    shown = frozenset().union(*(green_indices(s) for s in order if counts[s]))
    for s in order:
        extra = (green_indices(s) & signal.movements) - shown
        if not counts[s] and extra:
            totals[s], counts[s] = timing.stage_min_s(s, signal.crossings), 1
            shown |= extra
    used = [s for s in order if counts[s] > 0]
    # a stage the controller seldom showed (in under a quarter of the cycles) whose movements
    # all have green in another stage too (a protected turn also let through permissively)
    # is left out: a fixed plan would pay its minimum green and change every cycle for it
    # (cologne3's 360086: two such stages cut its main road's green from 14 s to 5)
    most = max(counts[s] for s in used)
    for rare in sorted(used, key=lambda s: counts[s]):
        others = frozenset().union(*(green_indices(s) for s in used if s != rare))
        seldom = merge == "served" or counts[rare] < 0.25 * most
        if len(used) > 2 and seldom and green_indices(rare) & signal.movements <= others:
            used.remove(rare)
    if merge:
        shown = _movement_greens(signal, own, begin=begin, end=end)
        if merge == "cost":
            used = _merged(signal, shown, used, timing, cycles=max(counts[s] for s in used))
        totals.update(_least_cover(signal, shown, used))
    least = [timing.stage_min_s(s, signal.crossings) for s in used]
    clearance = _clearance(used, signal, timing)
    services = max(counts[s] for s in used)
    # a fixed plan serves each stage once a cycle: greens in proportion to the time each got
    mean = {s: totals[s] / services for s in used}
    lifted = clearance + sum(max(low, mean[s]) for s, low in zip(used, least, strict=True))
    cycle = max((end - begin) / services, min_cycle_s, lifted)
    cycle = min(timing.longest_cycle_s(bool(signal.crossings)), max(timing.min_cycle_s, cycle))
    cycle = min(timing.max_cycle_s, max(cycle, clearance + sum(least)))  # the stages must fit
    whole = math.floor(cycle + 1e-9)  # whole seconds: the greens are rounded to them
    cycle = float(whole if whole >= timing.min_cycle_s - 1e-9 else math.ceil(timing.min_cycle_s))
    available = cycle - clearance
    scale = available / sum(mean.values())
    seconds = [max(low, round(mean[s] * scale)) for s, low in zip(used, least, strict=True)]
    excess = sum(seconds) - available  # minimum greens lifted above their share, rounding
    while excess > 1e-9 and any(g > low for g, low in zip(seconds, least, strict=True)):
        k = max(range(len(seconds)), key=lambda i: seconds[i] - least[i])
        cut = min(math.ceil(excess - 1e-9), seconds[k] - least[k])
        seconds[k] -= cut
        excess -= cut
    stages = [Stage(state, float(g), low, None) for state, g, low in zip(used, seconds, least, strict=True)]
    return build_plan(
        signal.tls_id, stages, timing, program_id=program_id, walkways=signal.walkways, intergreens=signal.intergreens
    )


def _merged(
    signal: Signal, shown: dict[int, float], stages: list[str], timing: Timing, *, cycles: int
) -> list[str]:
    """``stages`` without those a plan does better without: one at a time, the stage whose
    movements all have green elsewhere and whose removal saves the most time (its changes,
    ``cycles`` times, against the green its movements, ``shown`` so long, then need in the
    other stages)."""

    def cost(kept: list[str]) -> float:
        return sum(_least_cover(signal, shown, kept).values()) + cycles * _clearance(kept, signal, timing)

    current = cost(stages)
    while len(stages) > 2:
        options = []
        for stage in stages:
            rest = [s for s in stages if s != stage]
            others = frozenset().union(*(green_indices(s) for s in rest))
            if green_indices(stage) & signal.movements <= others:
                options.append((cost(rest), rest))
        if not options or min(options)[0] >= current - 1e-6:
            return stages
        current, stages = min(options)
    return stages


def _clearance(stages: Sequence[str], signal: Signal, timing: Timing) -> float:
    """Seconds of change in one cycle through ``stages``."""
    if len(stages) < 2:
        return 0.0
    return sum(
        clearance_s(a, stages[(i + 1) % len(stages)], timing, signal.walkways, signal.intergreens, late_walks=True)
        for i, a in enumerate(stages)
    )


def _movement_greens(signal: Signal, greens: Sequence[Served], *, begin: float, end: float) -> dict[int, float]:
    """Seconds of green the controller showed each movement of ``signal`` in ``[begin, end)``."""
    shown: dict[int, float] = {}
    for g in greens:
        span = min(g.end, end) - max(g.begin, begin)
        for movement in green_indices(g.state) & signal.movements:
            shown[movement] = shown.get(movement, 0.0) + span
    return shown


def _least_cover(signal: Signal, shown: dict[int, float], stages: Sequence[str]) -> dict[str, float]:
    """Green seconds per stage, as few in all as give every movement at least the green it
    was ``shown``: a small linear programme (OR-Tools' GLOP). Each movement keeps its green
    time, now in fewer stages."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    seconds = {s: solver.NumVar(0.0, solver.infinity(), s) for s in stages}
    for movement, need in shown.items():
        serving = [seconds[s] for s in stages if movement in green_indices(s)]
        if serving:
            solver.Add(sum(serving) >= need)
    solver.Minimize(sum(seconds.values()))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:  # pragma: no cover - all greens at the needs is feasible
        raise InputError(f"{signal.tls_id}: no merged greens found")
    return {s: seconds[s].solution_value() for s in stages}


def _nearest(state: str, order: Sequence[str]) -> str | None:
    """The stage of the program a green it lacks counts as (a split phase the controller
    added: one approach with all its turns): the one sharing the most of its green links."""
    shown = green_indices(state)
    overlap = [len(shown & green_indices(s)) for s in order]
    best = max(overlap, default=0)
    return order[overlap.index(best)] if best else None


def best_derived(
    signal: Signal,
    greens: Sequence[Served],
    timing: Timing = Timing(),
    *,
    begin: float,
    end: float,
    program_id: str = "its-derived",
    link_flows: Sequence[float] | None = None,
) -> tuple[TimingPlan, bool]:
    """The fixed-time plan derived at ``signal`` in ``[begin, end)``, and whether its stages
    are merged: the controller's stages, or with the flows known (``link_flows``), whichever
    of them and their two merges (see :func:`derive`) Webster's delay model expects least of
    (:func:`signals.webster.estimated_delay`), each on at least Webster's cycle for its
    stages (an adaptive controller's greens fit the queues it finds and its mean cycle can
    be short; a fixed plan on it has no slack for the traffic's ups and downs, and in heavy
    traffic serves less than the demand: RiLSA example 3, 277 s of delay on its 60 s mean
    cycle against 254 s for the shipped plan).

    Neither merge is best everywhere: merging every stage covered elsewhere took
    ingolstadt7's derived plan from 53.8 s to 40.6 s and arterial4x4's from 903 s to 856 s,
    but at grid4x4's corners it kept one-approach-at-a-time stages over the paired ones and
    cost 6 s; merging only while it saves the controller's green time does the reverse.

    Raises
    ------
    InputError
        If the controller served no green at this signal in the period.
    """
    from signals.webster import estimated_delay

    known = link_flows is not None and any(link_flows)
    candidates = []
    for merge in (None, "served", "cost") if known else (None,):
        plan = derive(signal, greens, timing, begin=begin, end=end, program_id=program_id, merge=merge)
        floor = _webster_cycle(signal, plan, link_flows, timing) if known else 0.0
        if floor > plan.cycle_s:
            plan = derive(
                signal, greens, timing, begin=begin, end=end, program_id=program_id, merge=merge, min_cycle_s=floor
            )
        candidates.append(plan)
    if len(candidates) == 1:
        return candidates[0], False
    assert link_flows is not None
    scores = [estimated_delay(signal, plan, link_flows) for plan in candidates]
    best = scores.index(min(scores))
    return candidates[best], best > 0


def _webster_cycle(signal: Signal, plan: TimingPlan, link_flows: Sequence[float], timing: Timing) -> float:
    """Webster's cycle for the stages of a derived plan and the flows (0 when they do not fit)."""
    from signals.webster import size

    stages = list(dict.fromkeys(stage.state for stage in green_stages(plan)))
    try:
        return size(signal, link_flows, timing, stages=stages).cycle_s
    except (InfeasibleError, InputError):
        return 0.0


def time_of_day(
    signal: Signal,
    greens: Sequence[Served],
    timing: Timing = Timing(),
    *,
    begin: float,
    end: float,
    period_s: float = 3600.0,
    program_id: str = "its-tod",
    flows_of: Callable[[float, float], Sequence[float] | None] | None = None,
) -> TimeOfDay:
    """One derived plan per period of ``period_s`` seconds, chosen with that period's flows
    (``flows_of(begin, end)``, when known) as :func:`best_derived` chooses. Periods without
    service keep the previous period's plan, as do periods whose plan the signal could not
    switch to without cutting a green short (see :func:`signals.plans.switch_points`)."""
    switches, plans = [], []
    merged = False
    start = begin
    k = 1
    while start < end - 1e-9:
        stop = min(end, start + period_s)
        flows = flows_of(start, stop) if flows_of is not None else None
        try:
            plan, merge = best_derived(
                signal, greens, timing, begin=start, end=stop, program_id=f"{program_id}-{k}", link_flows=flows
            )
        except InputError:
            plan, merge = None, False
        if plan is not None and switchable([*plans, plan], switch_guard(signal, timing)):
            switches.append(start)
            plans.append(plan)
            merged = merged or merge
            k += 1
        start = stop
    if not plans:
        raise InputError(f"{signal.tls_id}: the adaptive run served no green between {begin:g} and {end:g} s")
    return TimeOfDay(signal.tls_id, tuple(switches), tuple(plans), merged)
