"""The plan safety checker: conflicting greens, greens below their minimum, missing or short
yellows, intergreens shorter than the junction's geometry needs (when the timing sizes the
all-red: between vehicles, and from vehicles to the crossings they cross), pedestrian
clearances too short for the crossing, movements never green, cycles outside bounds, and
plans that do not fit the network's signal.

:func:`faults` lists what is wrong with one plan; :func:`require_safe` raises
:class:`its.errors.PlanError` naming every fault of a set of plans. Every method's output goes
through :func:`require_safe` before it is written or simulated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from its.control import Phase, TimingPlan
from its.errors import PlanError
from signals.model import GREEN, Crossing, Signal, SignalNetwork, green_indices, is_green_state
from signals.phases import Timing

__all__ = ["Fault", "check_states", "faults", "require_safe"]

_ALPHABET = frozenset("GgyYrRsuoO")


@dataclass(frozen=True)
class Fault:
    """One safety fault: ``kind`` is ``size``, ``alphabet``, ``conflict``, ``short-green``,
    ``missing-yellow``, ``short-yellow``, ``short-intergreen`` (with the timing's
    ``all_red_auto``: a conflicting link turns green before the junction's intergreen
    matrix allows), ``early-walk`` (the same for a pedestrian crossing's walk after a
    vehicle crossing its path), ``pedestrian-clearance`` (a vehicle crossing a
    pedestrian crossing's path gets priority green before someone who stepped off the kerb
    at the end of its green can reach the far side), ``unserved`` (a movement the
    junction's own program serves is never green), ``cycle`` or ``empty``; ``phase`` the
    0-based phase index (None for the whole plan)."""

    tls_id: str
    kind: str
    phase: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.tls_id}" + (f" phase {self.phase}" if self.phase is not None else "")
        return f"{where}: {self.message}"


def faults(plan: TimingPlan, signal: Signal, timing: Timing = Timing(), *, fixed_time: bool = True) -> list[Fault]:
    """Every safety fault of ``plan`` on ``signal``.

    ``fixed_time`` also checks the cycle against ``timing``'s bounds (adaptive controllers
    have no cycle). A phase with ``minDur`` (an actuated program) is checked on its minimum.
    """
    found: list[Fault] = []
    tid = plan.tls_id

    def add(kind: str, phase: int | None, message: str) -> None:
        found.append(Fault(tid, kind, phase, message))

    if not plan.phases:
        add("empty", None, "the plan has no phases")
        return found
    for i, phase in enumerate(plan.phases):
        if len(phase.state) != signal.size:
            add("size", i, f"state {phase.state!r} has {len(phase.state)} signals; the junction has {signal.size}")
        bad = sorted(set(phase.state) - _ALPHABET)
        if bad:
            add("alphabet", i, f"state {phase.state!r} has characters SUMO does not know: {''.join(bad)}")
    if found:
        return found
    found += [Fault(tid, "conflict", i, m) for i, p in enumerate(plan.phases) for m in check_states([p.state], signal)]
    short = _short_greens(plan, timing.min_green_s)
    walks = _short_greens(plan, timing.walk_s, signal.crossings)
    for i, phase in enumerate(plan.phases):
        if i in short:
            add("short-green", i, f"green of {short[i]:g} s is shorter than the minimum {timing.min_green_s:g} s")
        elif i in walks:
            add("short-green", i, f"walk of {walks[i]:g} s is shorter than the minimum walk {timing.walk_s:g} s")
        elif is_green_state(phase.state) and phase.min_dur is not None and phase.duration < phase.min_dur - 1e-9:
            add("short-green", i, f"green of {phase.duration:g} s is shorter than its own minimum {phase.min_dur:g} s")
    n = len(plan.phases)
    for i, phase in enumerate(plan.phases):
        following = plan.phases[(i + 1) % n]
        for k, (a, b) in enumerate(zip(phase.state, following.state, strict=True)):
            # a pedestrian signal has no yellow: its clearance is checked below
            if a in GREEN and b not in GREEN and b not in "yY" and k not in signal.crossings:
                add(
                    "missing-yellow",
                    i,
                    f"link {k} goes from green ({a}) to {b!r} without yellow before phase {(i + 1) % n}",
                )
                break
    for i, phase in enumerate(plan.phases):
        if any(c in "yY" for c in phase.state):
            # a yellow run may span several phases (yellow then a second yellow phase)
            run = phase.duration
            j = (i - 1) % n
            while j != i and any(c in "yY" for c in plan.phases[j].state):
                run += plan.phases[j].duration
                j = (j - 1) % n
            following = plan.phases[(i + 1) % n]
            ends_here = not any(c in "yY" for c in following.state)
            if ends_here and run < timing.yellow_s - 1e-9:
                add("short-yellow", i, f"yellow of {run:g} s is shorter than {timing.yellow_s:g} s")
    for i, message in _short_pedestrian_clearances(plan, signal, timing):
        add("pedestrian-clearance", i, message)
    if timing.all_red_auto:
        for i, message in _short_intergreens(plan, signal, timing):
            add("short-intergreen", i, message)
        if timing.late_walks:
            for i, message in _short_intergreens(plan, signal, timing, walks=True):
                add("early-walk", i, message)
    shipped = frozenset().union(*(green_indices(p.state) for p in signal.green_phases())) & signal.movements
    shown = frozenset().union(*(green_indices(p.state) for p in plan.phases))
    unserved = sorted(shipped - shown)
    if unserved:
        names = ", ".join(f"{k} ({_link(signal, k)})" for k in unserved[:4]) + (" ..." if len(unserved) > 4 else "")
        add(
            "unserved",
            None,
            f"link{'s' if len(unserved) > 1 else ''} {names} never green, though the junction's own "
            "program serves them: their vehicles would wait for good",
        )
    if fixed_time and plan.type == "static":
        cycle = plan.cycle_s
        if not timing.min_cycle_s - 1e-9 <= cycle <= timing.max_cycle_s + 1e-9:
            add(
                "cycle",
                None,
                f"cycle of {cycle:g} s is outside the bounds {timing.min_cycle_s:g}-{timing.max_cycle_s:g} s",
            )
    return found


def _short_greens(plan: TimingPlan, min_green_s: float, only: frozenset[int] | None = None) -> dict[int, float]:
    """Phases where some link (of ``only``, when given) turns green for less than
    ``min_green_s`` (its shortest time green over the consecutive phases that show it
    green, ``minDur`` where given), with that time. A link that stays green through a
    transition (green in both stages, kept through the yellow and all-red of the others)
    counts its whole run, not each phase."""
    phases = plan.phases
    n = len(phases)
    shortest = [p.min_dur if p.min_dur is not None else p.duration for p in phases]
    short: dict[int, float] = {}
    for k in range(len(phases[0].state)) if only is None else sorted(only):
        green = [p.state[k] in GREEN for p in phases]
        if all(green):
            continue
        for start in range(n):
            if not green[start] or green[start - 1]:
                continue
            run, i = 0.0, start
            while green[i % n]:
                run += shortest[i % n]
                i += 1
            if run < min_green_s - 1e-9:
                short[start] = min(run, short.get(start, run))
    return short


def _short_pedestrian_clearances(plan: TimingPlan, signal: Signal, timing: Timing) -> list[tuple[int, str]]:
    """(phase, message) for each end of a crossing's green after which a vehicle link
    crossing its path turns priority green sooner than the crossing's length takes to walk
    at ``timing.walking_speed_ms`` (green phases between count at their minimum)."""
    phases = plan.phases
    n = len(phases)
    out: list[tuple[int, str]] = []
    for crossing in signal.walkways:
        k = crossing.index
        needed = crossing.length_m / timing.walking_speed_ms
        for i, phase in enumerate(phases):
            if phase.state[k] not in GREEN or phases[(i + 1) % n].state[k] in GREEN:
                continue
            elapsed, foe = _until_released(phases, i, crossing)
            if foe is not None and elapsed < needed - 1e-6:
                out.append(
                    (
                        i,
                        f"crossing {k} ({crossing.length_m:.1f} m) is red {elapsed:g} s before link "
                        f"{foe} ({_link(signal, foe)}) crossing it turns green; a "
                        f"pedestrian at {timing.walking_speed_ms:g} m/s needs {needed:.1f} s",
                    )
                )
    return out


def _short_intergreens(plan: TimingPlan, signal: Signal, timing: Timing, *, walks: bool = False) -> list[tuple[int, str]]:
    """(phase, message) for each end of a link's green after which a conflicting link turns
    green sooner than the yellow and the all-red the signal's intergreen matrix asks for
    (green phases between count at their minimum; one message per green end). With
    ``walks``, a pedestrian crossing on its path starts its walk sooner than its last
    vehicle is past (``Intergreens.walks``)."""
    entering: dict[int, dict[int, float]] = {}
    for i, j, seconds in signal.intergreens.walks if walks else signal.intergreens.needs:
        entering.setdefault(i, {})[j] = seconds
    phases = plan.phases
    n = len(phases)
    out: list[tuple[int, str]] = []
    for end, phase in enumerate(phases):
        after = phases[(end + 1) % n].state
        for k in sorted(entering):
            if phase.state[k] not in GREEN or after[k] in GREEN:
                continue
            fault = _first_short_entry(phases, end, k, entering[k], timing.yellow_s)
            if fault is not None:
                foe, elapsed, needed = fault
                after_green = f"link {k} ({_link(signal, k)}) has {elapsed:g} s after its green before"
                if walks:
                    message = (
                        f"{after_green} pedestrian crossing {foe} on its path walks; its last vehicle needs "
                        f"{needed:g} s to be past it (yellow and late walk)"
                    )
                else:
                    message = (
                        f"{after_green} conflicting link {foe} ({_link(signal, foe)}) turns green; the "
                        f"junction's geometry needs {needed:g} s (yellow and all-red)"
                    )
                out.append((end, message))
                break
    return out


def _first_short_entry(
    phases: tuple[Phase, ...], end: int, clearing: int, needs: dict[int, float], yellow_s: float
) -> tuple[int, float, float] | None:
    """The first conflicting link of ``needs`` (entering link -> all-red it needs) turning
    green too soon after ``clearing``'s green ends with phase ``end``: (link, seconds it
    got, seconds it needed)."""
    elapsed = 0.0
    pending = {j: s for j, s in needs.items() if phases[end].state[j] not in GREEN}
    for step in range(1, len(phases) + 1):
        later = phases[(end + step) % len(phases)]
        if later.state[clearing] in GREEN:
            return None
        for j in [j for j in pending if later.state[j] in GREEN]:
            if elapsed < yellow_s + pending[j] - 1e-6:
                return j, elapsed, yellow_s + pending[j]
            del pending[j]
        elapsed += later.min_dur if later.min_dur is not None and is_green_state(later.state) else later.duration
    return None


def _until_released(phases: tuple[Phase, ...], end: int, crossing: Crossing) -> tuple[float, int | None]:
    """Seconds from the end of phase ``end`` (the last of a walk) until a vehicle link
    crossing the walk's path gets priority green, and that link; None for the link when the
    walk comes back first (green phases between count at their minimum)."""
    elapsed = 0.0
    for step in range(1, len(phases) + 1):
        later = phases[(end + step) % len(phases)]
        if later.state[crossing.index] in GREEN:
            return elapsed, None
        released = crossing.released(phases[end].state, later.state)
        if released:
            return elapsed, released[0]
        elapsed += later.min_dur if later.min_dur is not None and is_green_state(later.state) else later.duration
    return elapsed, None


def check_states(states: Iterable[str], signal: Signal) -> list[str]:
    """Messages for every pair of conflicting links that a state makes both priority green."""
    messages = []
    for state in states:
        for i, j in sorted(signal.conflicts):
            if i < len(state) and j < len(state) and state[i] == "G" and state[j] == "G":
                a, b = signal.conflict_lanes.get((i, j)) or (_link(signal, i), _link(signal, j))
                messages.append(
                    f"state {state!r} gives priority green to conflicting links {i} ({a}) and {j} ({b})"
                )
    return messages


def _link(signal: Signal, index: int) -> str:
    link = next((lk for lk in signal.links if lk.index == index), None)
    return f"{link.from_lane} -> {link.to_lane}" if link else "?"


def require_safe(
    plans: Iterable[TimingPlan],
    network: SignalNetwork,
    timing: Timing = Timing(),
    *,
    fixed_time: bool = True,
) -> None:
    """Raise :class:`PlanError` listing every fault of ``plans`` (and plans for unknown signals)."""
    found: list[str] = []
    for plan in plans:
        if plan.tls_id not in network.signals:
            found.append(f"{plan.tls_id}: no such traffic light in {network.net_path.name}")
            continue
        found += [str(f) for f in faults(plan, network.signals[plan.tls_id], timing, fixed_time=fixed_time)]
    if found:
        shown = "; ".join(found[:6]) + (f"; and {len(found) - 6} more" if len(found) > 6 else "")
        raise PlanError(f"unsafe plan: {shown}")
