"""Reading SUMO ``.sumocfg`` files: the inputs they name (resolved, checked) and their window."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from sumolib.miscutils import parseTime

from its.errors import ScenarioError
from its.xmlfile import open_xml

__all__ = ["SumoConfig", "demand_files", "read_sumocfg", "split_files"]


@dataclass(frozen=True)
class SumoConfig:
    """The parts of a SUMO configuration the runner rebuilds: inputs and time window."""

    path: Path
    net: Path
    routes: tuple[Path, ...]
    additionals: tuple[Path, ...]
    begin: float | None
    end: float | None
    options: dict[str, str]


def split_files(value: str) -> list[str]:
    """SUMO file lists are separated by commas or spaces."""
    return [part for part in value.replace(",", " ").split() if part]


def read_sumocfg(path: Path) -> SumoConfig:
    """Read ``path`` and check that every input file it names exists.

    Raises
    ------
    ScenarioError
        If the file is not well-formed XML, names no network, or names missing files.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        line, column = error.position
        raise ScenarioError(f"{path}:{line}:{column}: malformed XML: {error.msg}") from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    options: dict[str, str] = {}
    for section in root:
        for item in section:
            if "value" in item.attrib:
                options[item.tag] = item.attrib["value"]
        if "value" in section.attrib:  # flat layout <net-file value=.../> directly under root
            options[section.tag] = section.attrib["value"]
    base = path.parent

    def resolve(key: str) -> list[Path]:
        return [(base / name).resolve() for name in split_files(options.get(key, ""))]

    nets = resolve("net-file")
    if not nets:
        raise ScenarioError(f"{path}: names no net-file; a scenario needs a road network")
    routes = resolve("route-files")
    additionals = resolve("additional-files")
    missing = [p for p in (*nets, *routes, *additionals) if not p.is_file()]
    if missing:
        names = ", ".join(str(p) for p in missing)
        raise ScenarioError(f"{path}: names missing file(s): {names}")

    def time(key: str) -> float | None:
        # SUMO's own time syntax: seconds or [D:]H:M:S with unpadded fields ("15:0:0")
        if key not in options:
            return None
        text = options[key]
        try:
            seconds = parseTime(text)
        except (ValueError, IndexError):
            seconds = None
        if seconds is None or not math.isfinite(seconds) or seconds < 0:
            raise ScenarioError(
                f"{path.name} {key}: {text!r} is not a time; use seconds or [D:]H:M:S"
            )
        return seconds

    return SumoConfig(
        path=path,
        net=nets[0],
        routes=tuple(routes),
        additionals=tuple(additionals),
        begin=time("begin"),
        end=time("end"),
        options=options,
    )


#: Elements that put traffic into a simulation, wherever SUMO reads them from.
_DEMAND = frozenset({"vehicle", "trip", "flow", "person", "personFlow", "container", "containerFlow"})


def demand_files(cfg: SumoConfig) -> list[Path]:
    """The files the simulation's traffic comes from: the route files, and the additional
    files that define vehicles, trips or flows too (SUMO reads demand from both)."""
    return [*cfg.routes, *(p for p in cfg.additionals if p not in cfg.routes and _has_demand(p))]


def _has_demand(path: Path) -> bool:
    try:
        with open_xml(path) as stream:
            for _, element in ET.iterparse(stream, events=("start",)):
                if element.tag in _DEMAND:
                    return True
    except (ET.ParseError, OSError):
        return False  # SUMO itself reports a broken additional file when it loads it
    return False

