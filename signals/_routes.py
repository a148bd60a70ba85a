"""Counting turning movements in SUMO route files (vehicles, flows, route distributions)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sumolib.miscutils import parseTime

from its.errors import InputError
from its.xmlfile import open_xml

__all__ = ["MovementCounts", "count_movements"]


class MovementCounts:
    """Vehicles per (edge, next edge) pair in a window, and what could not be counted."""

    def __init__(self) -> None:
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.vehicles = 0.0
        self.unrouted = 0
        """``<trip>`` elements (and vehicles without a route): route them first."""

    def add(self, edges: list[str], weight: float) -> None:
        self.vehicles += weight
        for a, b in zip(edges, edges[1:], strict=False):
            self.pairs[(a, b)] += weight


def count_movements(files: Iterable[Path], *, begin: float, end: float) -> MovementCounts:
    """Turning movements of every vehicle departing in ``[begin, end)`` in ``files``.

    Flows count ``number``/``vehsPerHour``/``period``/``probability`` vehicles over the part
    of their interval inside the window; a route distribution counts each route by its
    probability.
    """
    counts = MovementCounts()
    for path in files:
        _count_file(path, begin, end, counts)
    return counts


def _count_file(path: Path, begin: float, end: float, counts: MovementCounts) -> None:
    try:
        with open_xml(path) as stream:
            _count_stream(stream, begin, end, counts)
    except ET.ParseError as error:
        line, column = error.position
        raise InputError(f"{path}:{line}:{column}: malformed route XML: {error.msg}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the route file: {error.strerror}") from None


def _count_stream(stream: BinaryIO, begin: float, end: float, counts: MovementCounts) -> None:
    routes: dict[str, list[tuple[list[str], float]]] = {}
    for _, element in ET.iterparse(stream, events=("end",)):
        tag = element.tag
        if tag == "route" and element.get("id") and element.get("edges"):
            routes[element.get("id", "")] = [(element.get("edges", "").split(), 1.0)]
        elif tag == "routeDistribution" and element.get("id"):
            options = [
                (r.get("edges", "").split() or _first(routes.get(r.get("refId", ""), [])), float(r.get("probability", "1")))
                for r in element.iter("route")
            ]
            total = sum(p for _, p in options) or 1.0
            routes[element.get("id", "")] = [(edges, p / total) for edges, p in options if edges]
        elif tag == "vehicle":
            depart = _time(element.get("depart"))
            if depart is not None and begin <= depart < end:
                _add(element, routes, counts, 1.0)
            element.clear()
        elif tag == "trip":
            depart = _time(element.get("depart"))
            if depart is not None and begin <= depart < end:
                counts.unrouted += 1
            element.clear()
        elif tag == "flow":
            number = _flow_number(element, begin, end)
            if number > 0:
                _add(element, routes, counts, number)
            element.clear()


def _first(options: list[tuple[list[str], float]]) -> list[str]:
    return options[0][0] if options else []


def _add(element: ET.Element, routes: dict[str, list[tuple[list[str], float]]], counts: MovementCounts, weight: float) -> None:
    child = element.find("route")
    if child is not None and child.get("edges"):
        counts.add(child.get("edges", "").split(), weight)
        return
    distribution = element.find("routeDistribution")
    if distribution is not None:
        options = [(r.get("edges", "").split(), float(r.get("probability", "1"))) for r in distribution.iter("route")]
        total = sum(p for _, p in options) or 1.0
        for edges, p in options:
            counts.add(edges, weight * p / total)
        return
    reference = element.get("route")
    if reference and reference in routes:
        for edges, p in routes[reference]:
            counts.add(edges, weight * p)
        return
    counts.unrouted += int(round(weight))


def _time(text: str | None) -> float | None:
    """Seconds of a SUMO time ("54000", "15:0:0", "1:00:00:00"); None for "triggered" and
    the like."""
    if text is None:
        return None
    try:
        return parseTime(text)
    except (ValueError, IndexError):
        return None

def _flow_number(element: ET.Element, begin: float, end: float) -> float:
    start = _time(element.get("begin")) or 0.0
    stop = _time(element.get("end"))
    if stop is None:
        stop = end
    overlap = max(0.0, min(stop, end) - max(start, begin))
    span = max(stop - start, 1e-9)
    if overlap <= 0:
        return 0.0
    if element.get("number"):
        return float(element.get("number", "0")) * overlap / span
    if element.get("vehsPerHour"):
        return float(element.get("vehsPerHour", "0")) * overlap / 3600.0
    if element.get("period"):
        text = element.get("period", "1")
        if text.startswith("exp("):
            return float(text[4:-1]) * overlap
        return overlap / max(float(text), 1e-9)
    if element.get("probability"):
        return float(element.get("probability", "0")) * overlap
    return 0.0
