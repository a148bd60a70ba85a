"""Timing sheets: what a field technician programs into a controller, per junction.

Markdown for people (the phase table with start times in the cycle, and the movements with
the signal each shows in every phase and the all-red each needs before its worst conflicting
movement, from the junction's intergreen matrix; each crossing with its walkers' mean wait) and CSV for tools (one row per phase; the
whole intergreen matrix, one row per conflicting pair that needs an all-red).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from its.control import Phase, TimingPlan
from its.units import clock
from signals.model import CHANGE_GREENS, Signal, is_green_state
from signals.performance import WALK_LOS_BOUNDS, level_of_service, walk_waits

__all__ = ["intergreens_csv", "movement_name", "schedule_markdown", "sheet_csv", "sheet_markdown"]

_DIRECTIONS = {"s": "through", "l": "left", "L": "half left", "r": "right", "R": "half right", "t": "U-turn"}


def movement_name(direction: str) -> str:
    """A link's turn in words, from SUMO's direction (``s``, ``l``, ``r``, ...)."""
    return _DIRECTIONS.get(direction, direction)


def _kind(phase: Phase) -> str:
    state = phase.state
    if is_green_state(state):
        return phase.name if phase.name in CHANGE_GREENS else "green"
    if any(c in "yY" for c in state):
        return "yellow"
    if "u" in state:
        return "red-yellow"
    if all(c in "rRs" for c in state):
        return "all-red"
    return "other"


def schedule_markdown(schedules: Iterable[tuple[str, Sequence[tuple[float, str]]]]) -> str:
    """The time-of-day schedule as Markdown: per junction, which program runs from when
    (empty without one). A program takes over at the first point of its cycle where the
    one before can hand over safely, so up to a cycle after the time shown."""
    rows = [f"| {tls} | " + " · ".join(f"{clock(at)[:5]} `{program}`" for at, program in switches) + " |" for tls, switches in schedules]
    if not rows:
        return ""
    head = ["## Time of day", "", "| junction | from (program) |", "|---|---|"]
    return "\n".join([*head, *rows, "", ""])


def sheet_markdown(plan: TimingPlan, signal: Signal) -> str:
    """The timing sheet of one junction as Markdown."""
    lines = [
        f"### {plan.tls_id} — program `{plan.program_id}` ({plan.type})",
        "",
        f"Cycle {plan.cycle_s:g} s, offset {plan.offset:g} s (phase 1 starts when "
        f"(time − offset) mod cycle = 0).",
        "",
        "| phase | kind | start (s) | duration (s) | min (s) | max (s) | state |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    start = 0.0
    for i, phase in enumerate(plan.phases, 1):
        low = "" if phase.min_dur is None else f"{phase.min_dur:g}"
        high = "" if phase.max_dur is None else f"{phase.max_dur:g}"
        lines.append(
            f"| {i} | {_kind(phase)} | {start:g} | {phase.duration:g} | {low} | {high} | `{phase.state}` |"
        )
        start += phase.duration
    phases = " | ".join(str(i) for i in range(1, len(plan.phases) + 1))
    lines += ["", f"| link | from lane | to lane | movement | all-red needed | {phases} |"]
    lines.append("|---:|---|---|---|---|" + "|".join(":-:" for _ in plan.phases) + "|")
    for link in signal.links:
        shown = " | ".join(p.state[link.index] if link.index < len(p.state) else "?" for p in plan.phases)
        worst = signal.intergreens.worst(link.index)
        needed = f"{worst[2]:g} s before {worst[1]}" if worst else ""
        movement = movement_name(link.direction)
        lines.append(f"| {link.index} | {link.from_lane} | {link.to_lane} | {movement} | {needed} | {shown} |")
    waits = walk_waits(plan, signal)
    for crossing in signal.walkways:
        shown = " | ".join(p.state[crossing.index] if crossing.index < len(p.state) else "?" for p in plan.phases)
        wait = waits.get(crossing.index)
        mean = "" if wait is None else f", mean wait {wait:.0f} s ({level_of_service(wait, WALK_LOS_BOUNDS)})"
        lines.append(f"| {crossing.index} | | | pedestrian crossing, {crossing.length_m:.1f} m{mean} | | {shown} |")
    return "\n".join(lines) + "\n"


def sheet_csv(plans: Iterable[TimingPlan]) -> str:
    """Every phase of ``plans`` as CSV: signal, program, cycle, offset, phase, kind, start,
    duration, min, max, state."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tls_id", "program_id", "cycle_s", "offset_s", "phase", "kind", "start_s", "duration_s", "min_s", "max_s", "state"])
    for plan in plans:
        start = 0.0
        for i, phase in enumerate(plan.phases, 1):
            writer.writerow(
                [
                    plan.tls_id,
                    plan.program_id,
                    f"{plan.cycle_s:g}",
                    f"{plan.offset:g}",
                    i,
                    _kind(phase),
                    f"{start:g}",
                    f"{phase.duration:g}",
                    "" if phase.min_dur is None else f"{phase.min_dur:g}",
                    "" if phase.max_dur is None else f"{phase.max_dur:g}",
                    phase.state,
                ]
            )
            start += phase.duration
    return buffer.getvalue()


def intergreens_csv(signals: Iterable[Signal]) -> str:
    """The intergreen matrix of ``signals`` as CSV: signal, the link clearing (index and
    lanes), the conflicting link entering after it, and the all-red (s) the geometry asks
    between the end of the first one's yellow and the second one's green (what
    ``--all-red auto`` gives); pairs that need none are left out. Then the pedestrian
    crossings entering after a clearing link (``entering_lanes`` the crossing), with the
    seconds after the yellow before their walk may start (``walk_after_s``: what a
    fixed-time plan's late walk waits for)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["tls_id", "clearing_link", "clearing_lanes", "entering_link", "entering_lanes", "all_red_s", "walk_after_s"]
    )
    for signal in signals:
        lanes = {}
        for link in signal.links:
            lanes.setdefault(link.index, f"{link.from_lane} -> {link.to_lane}")
        for i, j, seconds in sorted(signal.intergreens.needs):
            writer.writerow([signal.tls_id, i, lanes.get(i, ""), j, lanes.get(j, ""), f"{seconds:g}", ""])
        crossings = {c.index: f"crossing {c.edge}" for c in signal.walkways}
        for i, c, seconds in sorted(signal.intergreens.walks):
            writer.writerow([signal.tls_id, i, lanes.get(i, ""), c, crossings.get(c, ""), "", f"{seconds:g}"])
    return buffer.getvalue()
