"""Reading SUMO ``.sumocfg`` files: the inputs they name (resolved, checked) and their window."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from its.errors import ScenarioError
from its.units import parse_time

__all__ = ["SumoConfig", "read_sumocfg", "split_files"]


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
        if key not in options:
            return None
        try:
            return parse_time(options[key], field=f"{path.name} {key}")
        except ValueError as error:
            raise ScenarioError(str(error)) from None

    return SumoConfig(
        path=path,
        net=nets[0],
        routes=tuple(routes),
        additionals=tuple(additionals),
        begin=time("begin"),
        end=time("end"),
        options=options,
    )
