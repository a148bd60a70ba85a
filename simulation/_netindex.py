"""A light index of a SUMO network (edge, lane and signal ids), read fast with iterparse.

Checking a variant's edge ids or placing detectors must not cost a full sumolib load of the
network on every run, so this reads only ids, lengths and speeds, and caches per file version.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from its.errors import ScenarioError
from its.xmlfile import open_xml

__all__ = ["NetIndex", "net_index"]


@dataclass(frozen=True)
class NetIndex:
    """Ids and basic attributes of a network's (non-internal) edges, lanes and signals."""

    edges: dict[str, tuple[str, ...]]
    """Edge id → its lane ids, rightmost first."""
    lanes: dict[str, tuple[float, float]]
    """Lane id → (length in metres, speed limit in m/s)."""
    tls_incoming: dict[str, tuple[str, ...]]
    """Signalised junction id → the lanes entering it."""
    tls_ids: frozenset[str]
    """Ids of the traffic-light programs (tlLogic)."""

    def require_edges(self, ids: tuple[str, ...] | list[str], *, where: str) -> None:
        missing = [e for e in ids if e not in self.edges]
        if missing:
            raise ScenarioError(f"{where}: edge(s) not in the network: {', '.join(missing)}")

    def require_lanes(self, ids: tuple[str, ...] | list[str], *, where: str) -> None:
        missing = [lane for lane in ids if lane not in self.lanes]
        if missing:
            raise ScenarioError(f"{where}: lane(s) not in the network: {', '.join(missing)}")


def net_index(path: Path) -> NetIndex:
    """The index of the network at ``path`` (cached while the file is unchanged)."""
    stat = path.stat()
    return _index(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _index(path: Path, mtime_ns: int, size: int) -> NetIndex:
    edges: dict[str, tuple[str, ...]] = {}
    lanes: dict[str, tuple[float, float]] = {}
    tls_incoming: dict[str, tuple[str, ...]] = {}
    tls_ids: set[str] = set()
    try:
        with open_xml(path) as stream:
            for _, element in ET.iterparse(stream, events=("end",)):
                tag = element.tag
                if tag == "edge":
                    if element.attrib.get("function") != "internal":
                        lane_ids = []
                        for lane in element.iter("lane"):
                            lane_ids.append(lane.attrib["id"])
                            lanes[lane.attrib["id"]] = (
                                float(lane.attrib["length"]),
                                float(lane.attrib["speed"]),
                            )
                        edges[element.attrib["id"]] = tuple(lane_ids)
                    element.clear()
                elif tag == "junction":
                    if element.attrib.get("type", "").startswith("traffic_light"):
                        tls_incoming[element.attrib["id"]] = tuple(
                            lane for lane in element.attrib.get("incLanes", "").split() if not lane.startswith(":")
                        )
                    element.clear()
                elif tag == "tlLogic":
                    tls_ids.add(element.attrib["id"])
                    element.clear()
                elif tag in ("connection", "request"):
                    element.clear()
    except ET.ParseError as error:
        line, column = error.position
        raise ScenarioError(f"{path}:{line}:{column}: malformed network XML: {error.msg}") from None
    except (KeyError, ValueError) as error:
        raise ScenarioError(f"{path}: not a SUMO network ({error})") from None
    return NetIndex(edges=edges, lanes=lanes, tls_incoming=tls_incoming, tls_ids=frozenset(tls_ids))
