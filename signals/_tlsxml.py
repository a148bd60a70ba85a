"""SUMO ``tlLogic`` XML: parsing additional files into plans and writing plans back."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from its.control import Phase, TimingPlan
from its.errors import PlanError
from its.xmlfile import open_xml


def parse(path: Path, *, required: bool = True) -> tuple[TimingPlan, ...]:
    """Every ``tlLogic`` in an additional (or network) file (none is fine unless ``required``).

    Raises
    ------
    PlanError
        If the file is missing, not well-formed, holds no program (when ``required``), or a
        phase lacks a valid duration or state.
    """
    try:
        with open_xml(path) as stream:
            root = ET.parse(stream).getroot()
    except ET.ParseError as error:
        line, column = error.position
        raise PlanError(f"{path}:{line}:{column}: malformed XML: {error.msg}") from None
    except OSError as error:
        raise PlanError(f"{path}: cannot read the plan file: {error.strerror}") from None
    plans = []
    for element in root.iter("tlLogic"):
        tls_id = element.get("id")
        if not tls_id:
            raise PlanError(f"{path}: a tlLogic has no id")
        phases = []
        for i, phase in enumerate(element.iter("phase")):
            where = f"{path}: tlLogic {tls_id!r} phase {i}"
            state = phase.get("state")
            if not state:
                raise PlanError(f"{where}: no state")
            phases.append(
                Phase(
                    state=state,
                    duration=_number(phase.get("duration"), where, "duration"),
                    min_dur=_optional(phase.get("minDur"), where, "minDur"),
                    max_dur=_optional(phase.get("maxDur"), where, "maxDur"),
                    name=phase.get("name", ""),
                )
            )
        plans.append(
            TimingPlan(
                tls_id=tls_id,
                program_id=element.get("programID", "0"),
                phases=tuple(phases),
                offset=_number(element.get("offset", "0"), f"{path}: tlLogic {tls_id!r}", "offset"),
                type=element.get("type", "static"),
            )
        )
    if not plans and required:
        raise PlanError(f"{path}: holds no tlLogic program")
    return tuple(plans)


def _number(text: str | None, where: str, field: str) -> float:
    try:
        value = float(text) if text is not None else float("nan")
    except ValueError:
        value = float("nan")
    if value != value or value < 0:
        raise PlanError(f"{where}: {field} must be a number of seconds >= 0, not {text!r}")
    return value


def _optional(text: str | None, where: str, field: str) -> float | None:
    return None if text is None else _number(text, where, field)


def render(
    plans: Iterable[TimingPlan],
    *,
    comment: str = "",
    schedules: Iterable[tuple[str, Sequence[tuple[float, str]]]] = (),
    switch_points: Mapping[tuple[str, str], float] | None = None,
) -> str:
    """The additional file holding ``plans`` (SUMO activates the last program it loads).

    ``schedules`` are time-of-day switches per signal, ``(tls_id, [(time, program id), ...])``,
    written as SUMO WAUTs (the first program runs from the start). With ``switch_points``
    (seconds into the cycle per ``(tls_id, program id)``) a signal switches there, with SUMO's
    GSP procedure, keeping the new program in step with its offset.
    """
    points = dict(switch_points or {})
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if comment:
        lines.append(f"<!-- {comment.replace('--', '- -')} -->")
    lines.append("<additional>")
    for plan in plans:
        lines.append(
            f"    <tlLogic id={quoteattr(plan.tls_id)} type={quoteattr(plan.type)} "
            f"programID={quoteattr(plan.program_id)} offset=\"{plan.offset:g}\">"
        )
        point = points.get((plan.tls_id, plan.program_id))
        if point is not None:
            lines.append(f'        <param key="GSP" value="{point:g}"/>')
        for phase in plan.phases:
            extra = ""
            if phase.min_dur is not None:
                extra += f' minDur="{phase.min_dur:g}"'
            if phase.max_dur is not None:
                extra += f' maxDur="{phase.max_dur:g}"'
            if phase.name:
                extra += f" name={quoteattr(phase.name)}"
            lines.append(f'        <phase duration="{phase.duration:g}" state="{phase.state}"{extra}/>')
        lines.append("    </tlLogic>")
    for k, (tls_id, switches) in enumerate(schedules):
        waut = f"its_waut_{k}"
        lines.append(f'    <WAUT refTime="0" id="{waut}" startProg={quoteattr(switches[0][1])}>')
        lines += [f'        <wautSwitch time="{t:g}" to={quoteattr(program)}/>' for t, program in switches]
        lines.append("    </WAUT>")
        switching = any((tls_id, program) in points for _, program in switches)
        procedure = ' procedure="GSP" synchron="true"' if switching else ""
        lines.append(f'    <wautJunction wautID="{waut}" junctionID={quoteattr(tls_id)}{procedure}/>')
    lines.append("</additional>")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a reader never sees half a file, and a failed
    write leaves what was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # named per process rather than by mkstemp, whose 0600 the plan would keep: the file
    # gets the user's usual permissions (a server reading plans may run as another user)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
