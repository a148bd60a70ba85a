"""Plans as data: the programs a network ships with, plan files read and written as SUMO
additional files (``tlLogic`` with their own ``programID``, which SUMO activates on load),
and plans checked against the network they are meant for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from its.control import Phase, TimingPlan
from its.errors import PlanError
from signals import _tlsxml
from signals.model import SignalNetwork, is_stage

__all__ = ["as_actuated", "match", "network_plans", "read_plans", "with_program_id", "write_plans"]


def network_plans(network: SignalNetwork, tls_ids: Iterable[str] | None = None) -> tuple[TimingPlan, ...]:
    """The active program of each signal as the network ships it (all signals by default)."""
    return tuple(signal.program for signal in network.select(list(tls_ids or [])))


def read_plans(path: Path, network: SignalNetwork | None = None) -> tuple[TimingPlan, ...]:
    """The ``tlLogic`` programs of an additional file, checked against ``network`` if given.

    Raises
    ------
    PlanError
        If the file cannot be read, holds no program, or (with a network) names a traffic
        light the network does not have or has states of the wrong length.
    """
    plans = _tlsxml.parse(path)
    if network is not None:
        match(plans, network, where=str(path))
    return plans


def write_plans(
    plans: Iterable[TimingPlan],
    path: Path,
    *,
    comment: str = "",
    schedules: Iterable[tuple[str, Sequence[tuple[float, str]]]] = (),
) -> Path:
    """Write ``plans`` as a SUMO additional file (atomically); returns the path.

    ``schedules`` switch programs by time of day: ``(tls_id, [(time s, program id), ...])``.
    """
    plans = tuple(plans)
    if not plans:
        raise PlanError(f"no plans to write to {path}")
    _tlsxml.write(path, _tlsxml.render(plans, comment=comment, schedules=schedules))
    return path


def match(plans: Iterable[TimingPlan], network: SignalNetwork, *, where: str = "plan") -> None:
    """Check that every plan names a traffic light of ``network`` with states of its size."""
    problems = []
    for plan in plans:
        signal = network.signals.get(plan.tls_id)
        if signal is None:
            known = ", ".join(sorted(network.signals)[:8]) or "none"
            problems.append(f"traffic light {plan.tls_id!r} is not in {network.net_path.name} (it has: {known})")
            continue
        sizes = {len(p.state) for p in plan.phases}
        if sizes != {signal.size}:
            found = ", ".join(str(s) for s in sorted(sizes)) or "no phases"
            problems.append(
                f"{plan.tls_id}: states have {found} signals but the junction controls {signal.size} links"
            )
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
