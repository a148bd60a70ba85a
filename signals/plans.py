"""Plans as data: the programs a network ships with, plan files read and written as SUMO
additional files (``tlLogic`` with their own ``programID``, which SUMO activates on load),
and plans checked against the network they are meant for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from its.control import Phase, TimingPlan
from its.errors import PlanError
from signals import _tlsxml
from signals.model import GREEN, Intergreens, Signal, SignalNetwork, green_indices, is_stage
from signals.phases import Timing

__all__ = [
    "PLAN_TYPES",
    "as_actuated",
    "match",
    "network_plans",
    "read_plans",
    "switch_guard",
    "switch_points",
    "switchable",
    "with_program_id",
    "write_plans",
]


#: The ``tlLogic`` types a plan file may hold: phase programs, fixed or actuated by SUMO.
PLAN_TYPES = ("static", "actuated", "delay_based")


def network_plans(network: SignalNetwork, tls_ids: Iterable[str] | None = None) -> tuple[TimingPlan, ...]:
    """The active program of each signal as the network ships it (all signals by default)."""
    return tuple(signal.program for signal in network.select(list(tls_ids or [])))


def read_plans(path: Path, network: SignalNetwork | None = None) -> tuple[TimingPlan, ...]:
    """The ``tlLogic`` programs of an additional file, checked against ``network`` if given.

    Raises
    ------
    PlanError
        If the file cannot be read, holds no program, holds a program of a type that is not
        a timing plan (see :data:`PLAN_TYPES`), or (with a network) names a traffic light
        the network does not have or has states of the wrong length.
    """
    plans = _tlsxml.parse(path)
    for plan in plans:
        if plan.type not in PLAN_TYPES:
            raise PlanError(
                f"{path}: tlLogic {plan.tls_id!r} program {plan.program_id!r} has type {plan.type!r}; "
                f"a plan is {', '.join(PLAN_TYPES[:-1])} or {PLAN_TYPES[-1]} (SUMO's NEMA, off and "
                "rail signal programs are not phase plans the checker can prove safe)"
            )
    if network is not None:
        match(plans, network, where=str(path))
    return plans


def write_plans(
    plans: Iterable[TimingPlan],
    path: Path,
    *,
    comment: str = "",
    schedules: Iterable[tuple[str, Sequence[tuple[float, str]]]] = (),
    intergreens: Mapping[str, Intergreens | None] | None = None,
) -> Path:
    """Write ``plans`` as a SUMO additional file (atomically); returns the path.

    ``schedules`` switch programs by time of day: ``(tls_id, [(time s, program id), ...])``;
    each switch waits for a point of the running program where the next can take over with
    no light changing unsafely (see :func:`switch_points`, given each signal's
    ``intergreens`` from :func:`switch_guard`).

    Raises
    ------
    PlanError
        If there is nothing to write, or a schedule names a program not among ``plans`` or
        switches between programs with no safe point to do so.
    """
    plans = tuple(plans)
    if not plans:
        raise PlanError(f"no plans to write to {path}")
    schedules = tuple((tls, tuple(switches)) for tls, switches in schedules)
    by_id = {(p.tls_id, p.program_id): p for p in plans}
    points: dict[tuple[str, str], float] = {}
    for tls, switches in schedules:
        order = list(dict.fromkeys(program for _, program in switches))
        missing = [program for program in order if (tls, program) not in by_id]
        if missing:
            raise PlanError(f"{tls}: the schedule switches to program {missing[0]!r}, which is not among the plans")
        if len(order) > 1:
            chosen = switch_points([by_id[tls, program] for program in order], (intergreens or {}).get(tls))
            points.update({(tls, program): at for program, at in zip(order, chosen, strict=True)})
    _tlsxml.write(path, _tlsxml.render(plans, comment=comment, schedules=schedules, switch_points=points))
    return path


def switch_points(programs: Sequence[TimingPlan], intergreens: Intergreens | None = None) -> tuple[float, ...]:
    """Where in its cycle each of a signal's time-of-day ``programs`` (in the order they
    run) is left for the next and entered from the one before (seconds from the start of
    the cycle, at the start of a green stage).

    SUMO's plain program switch jumps into the new program wherever its clock stands, and
    can turn a green red with no yellow or start a green across one still running. Switching
    at a good switching point (SUMO's GSP procedure) instead leaves a program at the start
    of one of its greens and enters the next at the start of a green that shows at least
    the same links (the same stage, or one adding movements that stage's links do not
    conflict with: they are green together in the new program), so nothing loses its green
    and no conflicting green starts. The next program's first green then lasts until it is
    back in step with its offset. A program's point is the same for entering and leaving
    it, so the points form a chain; the start of the first green is preferred.

    A wider green's added movements start when the program before starts its own green,
    after the intergreen that program timed for that green's movements only. With
    ``intergreens`` (the signal's matrix, for plans timed with ``--all-red auto``) such a
    switch is taken only where each added movement's conflicts ended their yellow at least
    the all-red it needs after them before that point; without, the plans' own fixed
    all-red is what every change of them gets, and so is this one.

    Raises
    ------
    PlanError
        If no such chain exists (no green of a program shows every link of a green of the
        program before it).
    """
    if not programs:
        return ()
    options = [_green_starts(p) for p in programs]
    # reach[k]: for each green start of program k reachable through the chain, the green
    # start of program k-1 it follows
    reach: list[dict[float, float | None]] = [{at: None for at, _ in options[0]}]
    for k in range(1, len(programs)):
        before = {at: shown for at, shown in options[k - 1] if at in reach[k - 1]}
        step: dict[float, float | None] = {}
        for at, shown in options[k]:
            # the earliest green of the program before that this one covers, the same stage first
            covered = [
                (shown != prior, prior_at)
                for prior_at, prior in before.items()
                if prior <= shown
                and (intergreens is None or _cleared(programs[k - 1], prior_at, shown - prior, intergreens))
            ]
            if covered:
                step[at] = min(covered)[1]
        if not step:
            raise PlanError(
                f"{programs[k].tls_id}: no safe point to switch from program {programs[k - 1].program_id!r} "
                f"to {programs[k].program_id!r}: no green of the second shows every link of a green of the first"
            )
        reach.append(step)
    chain = [min(reach[-1])]
    for k in range(len(programs) - 1, 0, -1):
        prior = reach[k][chain[-1]]
        assert prior is not None
        chain.append(prior)
    return tuple(reversed(chain))


def switch_guard(signal: Signal, timing: Timing) -> Intergreens | None:
    """The intergreens :func:`switch_points` must respect at ``signal``: its matrix when the
    plans size their all-red from it (``timing.all_red_auto``), else none."""
    return signal.intergreens if timing.all_red_auto else None


def switchable(programs: Sequence[TimingPlan], intergreens: Intergreens | None = None) -> bool:
    """Whether a signal can run ``programs`` one after the other (see :func:`switch_points`)."""
    try:
        switch_points(programs, intergreens)
    except PlanError:
        return False
    return True


def _cleared(plan: TimingPlan, at: float, added: frozenset[int], intergreens: Intergreens) -> bool:
    """Whether movements ``added`` could start green at ``at`` in ``plan``'s cycle: every
    conflicting link showing green or yellow earlier in the cycle ended it at least the
    all-red (or walk delay) ``intergreens`` asks before ``at``."""
    needs = [(i, j, s) for i, j, s in (*intergreens.needs, *intergreens.walks) if j in added and s > 0]
    if not needs:
        return True
    ended: dict[int, float] = {}  # link -> seconds from the end of its last green or yellow to ``at``
    starts, t = [], 0.0
    for phase in plan.phases:
        starts.append(t)
        t += phase.duration
    cycle = t
    here = next(k for k, start in enumerate(starts) if abs(start - at) < 1e-3)
    for k in range(here - 1, here - 1 - len(plan.phases), -1):
        phase = plan.phases[k]  # negative k wraps to the cycle before
        gap = (at - (starts[k] + phase.duration)) % cycle if cycle > 0 else 0.0
        for i, c in enumerate(phase.state):
            if i not in ended and (c in GREEN or c in "yY"):
                ended[i] = gap
    return all(ended[i] >= s - 1e-6 for i, _, s in needs if i in ended)


def _green_starts(plan: TimingPlan) -> list[tuple[float, frozenset[int]]]:
    """Each green stage of ``plan``: when it starts in the cycle and which links it shows."""
    out, at = [], 0.0
    for phase in plan.phases:
        if is_stage(phase):
            out.append((round(at, 3), green_indices(phase.state)))
        at += phase.duration
    return out


def match(plans: Iterable[TimingPlan], network: SignalNetwork, *, where: str = "plan") -> None:
    """Check that every plan names a traffic light of ``network`` with states of its size."""
    problems = []
    strangers = []
    for plan in plans:
        signal = network.signals.get(plan.tls_id)
        if signal is None:
            strangers.append(repr(plan.tls_id))
            continue
        sizes = {len(p.state) for p in plan.phases}
        if sizes != {signal.size}:
            found = ", ".join(str(s) for s in sorted(sizes)) or "no phases"
            problems.append(
                f"{plan.tls_id}: states have {found} signals but the junction controls {signal.size} links"
            )
    if strangers:  # named once, with the ids the network has
        named = ", ".join(strangers[:5]) + (f" and {len(strangers) - 5} more" if len(strangers) > 5 else "")
        lights, are = ("traffic lights", "are") if len(strangers) > 1 else ("traffic light", "is")
        problems.insert(0, f"{lights} {named} {are} not in {network.net_path.name} ({network.known_ids(8)})")
    if problems:
        raise PlanError(f"{where} does not match the network: " + "; ".join(problems[:5]))


def with_program_id(plans: Iterable[TimingPlan], program_id: str) -> tuple[TimingPlan, ...]:
    return tuple(replace(plan, program_id=program_id) for plan in plans)


def as_actuated(plan: TimingPlan, *, min_green_s: float = 5.0, max_green_s: float = 50.0, program_id: str = "its-actuated") -> TimingPlan:
    """``plan`` as a SUMO gap-based actuated program: each green keeps its order and gets
    ``minDur``/``maxDur`` (its own when it has them)."""
    phases = tuple(
        replace(
            p,
            min_dur=p.min_dur if p.min_dur is not None else min(min_green_s, p.duration),
            max_dur=p.max_dur if p.max_dur is not None else max(max_green_s, p.duration),
        )
        if is_stage(p)
        else Phase(p.state, p.duration, name=p.name)
        for p in plan.phases
    )
    return replace(plan, phases=phases, type="actuated", program_id=program_id)
