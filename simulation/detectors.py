"""Induction loops: placement on every signalised approach, and their additional files.

A scenario may name its own loop layout (``detectors = "..."`` in ``scenario.toml``, e.g. to
match field detector ids); otherwise a loop is placed on every lane entering a signalised
junction, a set distance upstream of the stop line.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from its.errors import ScenarioError
from its.xmlfile import open_xml
from simulation._netindex import net_index

__all__ = ["Loop", "approach_loops", "read_loops", "write_loops"]


@dataclass(frozen=True)
class Loop:
    """An induction loop: id, lane and position from the lane's start (metres)."""

    loop_id: str
    lane: str
    pos: float


def approach_loops(net: Path, *, distance_m: float = 30.0) -> list[Loop]:
    """One loop on every lane entering a signalised junction, ``distance_m`` before its end.

    On lanes shorter than that the loop sits at the lane's middle.
    """
    index = net_index(net)
    loops = []
    seen: set[str] = set()
    for junction in sorted(index.tls_incoming):
        for lane in index.tls_incoming[junction]:
            if lane in seen or lane not in index.lanes:
                continue
            seen.add(lane)
            length = index.lanes[lane][0]
            pos = length - distance_m if length > distance_m + 1.0 else length / 2
            loops.append(Loop(loop_id=f"det_{lane}", lane=lane, pos=round(pos, 2)))
    return loops


def read_loops(path: Path) -> list[Loop]:
    """The induction loops (``inductionLoop`` / ``e1Detector``) defined in an additional file."""
    try:
        with open_xml(path) as stream:
            root = ET.parse(stream).getroot()
    except ET.ParseError as error:
        line, column = error.position
        raise ScenarioError(f"{path}:{line}:{column}: malformed XML: {error.msg}") from None
    loops = []
    for element in root:
        if element.tag in ("inductionLoop", "e1Detector"):
            try:
                loops.append(
                    Loop(element.attrib["id"], element.attrib["lane"], float(element.attrib["pos"]))
                )
            except (KeyError, ValueError) as error:
                raise ScenarioError(f"{path}: induction loop without a valid {error}") from None
    return loops


def write_loops(loops: list[Loop], path: Path, *, output: str, period_s: float) -> None:
    """Write ``loops`` as an additional file whose loops write to ``output`` every ``period_s``."""
    lines = ["<additional>"]
    lines += [
        f"    <inductionLoop id={quoteattr(loop.loop_id)} lane={quoteattr(loop.lane)} "
        f'pos="{loop.pos:g}" period="{period_s:g}" file={quoteattr(output)}/>'
        for loop in loops
    ]
    lines.append("</additional>\n")
    path.write_text("\n".join(lines), encoding="utf-8")
