"""Building a scenario from small plain sources with SUMO's own tools, deterministically.

netconvert turns plain nodes/edges/connections into the network; od2trips samples trips from
the origin–destination matrix slot by slot along the time-of-day profile; duarouter routes
them; bus lines become stops, a timetable and timetabled buses; induction loops go on every
signalised approach. The same sources and SUMO version always give the same files, and a
build is skipped when nothing changed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from xml.sax.saxutils import quoteattr

import sumolib

from its.errors import ScenarioError
from its.scenario import BuildSpec, DemandSpec, Scenario
from its.transit import Timetable
from its.units import clock
from simulation._tools import run_tool
from simulation.detectors import approach_loops, write_loops
from simulation.lines import plan_lines, read_lines_spec
from simulation.pt import write_bus_stops, write_bus_vehicles

__all__ = ["BuildResult", "build"]

log = logging.getLogger(__name__)

Step = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What a build made: the SUMO configuration and the transit timetable (if any).

    A build skipped because nothing changed has no timetable (it was made before).
    """

    sumocfg: Path
    net: Path
    trips: int
    timetable: Timetable | None
    skipped: bool = False


def build(scenario: Scenario, *, force: bool = False, step: Step | None = None) -> BuildResult:
    """Build ``scenario`` into the folder of its ``sumocfg``; ``step(name)`` reports progress.

    Raises
    ------
    ScenarioError
        If the scenario has no build section or its sources are missing or inconsistent.
    ToolError
        If netconvert, od2trips or duarouter fail (their error lines are in the message).
    """
    spec = scenario.build
    if spec is None:
        raise ScenarioError(f"scenario {scenario.name!r} has no [build] section: it is used as it is")
    report = step or (lambda _name: None)
    out = scenario.sumocfg.parent
    out.mkdir(parents=True, exist_ok=True)
    sources = _sources(scenario, spec)
    stamp = _stamp(scenario, spec, sources)
    stamp_file = out / ".build-stamp"
    net_file = out / f"{scenario.name}.net.xml"
    if not force and scenario.sumocfg.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return BuildResult(scenario.sumocfg, net_file, _count_trips(out / "routes.rou.xml"), None, skipped=True)
    stamp_file.unlink(missing_ok=True)

    report("network (netconvert)")
    args = [
        "--node-files", str(scenario.path(spec.nodes)),
        "--edge-files", str(scenario.path(spec.edges)),
        "--output-file", str(net_file),
        "--offset.disable-normalization",
        "--no-turnarounds.tls",
    ]  # fmt: skip
    if spec.connections:
        args += ["--connection-files", str(scenario.path(spec.connections))]
    if spec.types:
        args += ["--type-files", str(scenario.path(spec.types))]
    run_tool("netconvert", [*args, *spec.netconvert])

    route_files: list[str] = []
    additionals = []
    trips = 0
    if spec.demand is not None:
        report("demand (od2trips, duarouter)")
        trips = _demand(scenario, spec.demand, net_file, out)
        route_files.append("routes.rou.xml")
        additionals.append(scenario.path(spec.demand.vtypes))

    timetable = None
    if spec.transit is not None:
        report("bus lines (stops, timetable, buses)")
        timetable = _lines(scenario, spec.transit, net_file)
        route_files.append("buses.rou.xml")
        additionals.append(out / "busstops.add.xml")

    report("detectors")
    write_loops(approach_loops(net_file, distance_m=spec.detector_distance_m), out / "detectors.add.xml", output="detectors.out.xml", period_s=300)

    _write_config(scenario, out, net_file, route_files, additionals)
    stamp_file.write_text(stamp)
    return BuildResult(scenario.sumocfg, net_file, trips, timetable)


def _lines(scenario: Scenario, transit: Path, net_file: Path) -> Timetable:
    """Plan the bus lines; writes bus stops and the buses inside the scenario window."""
    out = scenario.sumocfg.parent
    source = scenario.path(transit)
    lines = read_lines_spec(source)
    net = sumolib.net.readNet(str(net_file))
    plan = plan_lines(lines, net, source=source)
    write_bus_stops(plan.bus_stops, out / "busstops.add.xml")
    begin = scenario.begin or 0.0
    end = scenario.end if scenario.end is not None else float("inf")
    # a bus enters at its first stop one dwell before it leaves; SUMO drops earlier vehicles
    window = [t for t in plan.timetable.trips if begin <= t.start_s - lines.dwell_s and t.start_s < end]
    write_bus_vehicles(window, plan.trip_edges, plan.line_names, out / "buses.rou.xml", dwell_s=lines.dwell_s)
    return plan.timetable


def _demand(scenario: Scenario, demand: DemandSpec, net_file: Path, out: Path) -> int:
    zones = scenario.path(demand.zones)
    matrix = _read_matrix(scenario.path(demand.od))
    end = scenario.end
    if end is None:
        raise ScenarioError(f"scenario {scenario.name!r}: a generated demand needs an end time in scenario.toml")
    slots = []
    for i, (start, factor) in enumerate(demand.profile):
        stop = demand.profile[i + 1][0] if i + 1 < len(demand.profile) else end
        if stop <= start:
            raise ScenarioError(f"scenario {scenario.name!r}: demand profile slots must increase in time")
        slots.append((start, stop, factor))
    od_files = []
    for i, (start, stop, factor) in enumerate(slots):
        path = out / f"od_{i:02d}.od"
        _write_or_matrix(path, matrix, start, stop, factor * (stop - start) / 3600.0)
        od_files.append(str(path))
    trip_files = []
    for cls in demand.classes:
        path = out / f"trips_{cls.type}.xml"
        run_tool(
            "od2trips",
            [
                "--taz-files", str(zones),
                "--od-matrix-files", ",".join(od_files),
                "--output-file", str(path),
                "--scale", f"{cls.share:g}",
                "--vtype", cls.type,
                "--prefix", f"{cls.type}_",
                "--spread.uniform",
                "--different-source-sink",
                "--departlane", "best",
                "--departspeed", "max",
                "--seed", str(demand.seed),
                "--no-step-log",
            ],
        )  # fmt: skip
        trip_files.append(str(path))
    run_tool(
        "duarouter",
        [
            "--net-file", str(net_file),
            "--route-files", ",".join(trip_files),
            "--additional-files", str(scenario.path(demand.vtypes)),
            "--output-file", str(out / "routes.rou.xml"),
            # the vTypes stay in the scenario's own vtypes file, loaded first as an additional
            "--vtype-output", str(out / "routes.vtypes.xml"),
            "--seed", str(demand.seed),
            "--ignore-errors",
            "--no-step-log",
            "--no-warnings",
            "--write-costs", "false",
        ],
    )  # fmt: skip
    for path in (out / "routes.rou.alt.xml", out / "routes.vtypes.xml"):
        path.unlink(missing_ok=True)
    return _count_trips(out / "routes.rou.xml")


def _read_matrix(path: Path) -> dict[tuple[str, str], float]:
    """A CSV matrix: header ``origin,<zone>,<zone>...``, one row per origin, trips per hour."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row and not row[0].startswith("#")]
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    if len(rows) < 2:
        raise ScenarioError(f"{path}: an OD matrix needs a header row and at least one origin row")
    header = [h.strip() for h in rows[0][1:]]
    matrix: dict[tuple[str, str], float] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(header) + 1:
            raise ScenarioError(f"{path}:{line_no}: expected {len(header) + 1} columns, got {len(row)}")
        for destination, cell in zip(header, row[1:], strict=True):
            try:
                value = float(cell or 0)
            except ValueError:
                raise ScenarioError(f"{path}:{line_no}: {cell!r} is not a number of trips") from None
            if value < 0:
                raise ScenarioError(f"{path}:{line_no}: negative trips {value:g}")
            if value and row[0].strip() != destination:
                matrix[(row[0].strip(), destination)] = value
    return matrix


def _write_or_matrix(path: Path, matrix: dict[tuple[str, str], float], start: float, stop: float, factor: float) -> None:
    # SUMO's O-format (one trip count per origin/destination pair) for one time slot;
    # times are hours.minutes.
    def hm(seconds: float) -> str:
        return f"{int(seconds // 3600)}.{int(seconds % 3600 // 60):02d}"

    lines = ["$OR;D2", "* From-Time  To-Time", f"{hm(start)} {hm(stop)}", "* Factor", f"{factor:.6f}", "*"]
    lines += [f"{o} {d} {v:g}" for (o, d), v in sorted(matrix.items())]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def _write_config(scenario: Scenario, out: Path, net: Path, routes: list[str], additionals: list[Path]) -> None:
    def rel(path: Path) -> str:
        return os.path.relpath(Path(path).resolve(), out.resolve())

    begin = scenario.begin or 0.0
    lines = [
        "<configuration>",
        f"    <!-- {scenario.name}: built by `its scenario build`; window {clock(begin)}-"
        f"{clock(scenario.end) if scenario.end else 'open'} -->",
        "    <input>",
        f"        <net-file value={quoteattr(rel(net))}/>",
        f"        <route-files value={quoteattr(','.join(routes))}/>",
        f"        <additional-files value={quoteattr(','.join(rel(a) for a in additionals))}/>",
        "    </input>",
        "    <time>",
        f'        <begin value="{begin:g}"/>',
    ]
    if scenario.end is not None:
        lines.append(f'        <end value="{scenario.end:g}"/>')
    lines += ["    </time>", "</configuration>", ""]
    scenario.sumocfg.write_text("\n".join(lines), encoding="utf-8")


def _count_trips(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8") as handle:
        return sum(line.lstrip().startswith("<vehicle ") for line in handle)


def _sources(scenario: Scenario, spec: BuildSpec) -> list[Path]:
    paths = [spec.nodes, spec.edges, spec.connections, spec.types, spec.transit]
    if spec.demand:
        paths += [spec.demand.zones, spec.demand.od, spec.demand.vtypes]
    resolved = [scenario.path(p) for p in paths if p is not None]
    missing = [str(p) for p in resolved if not p.is_file()]
    if missing:
        raise ScenarioError(f"scenario {scenario.name!r}: missing source file(s): {', '.join(missing)}")
    return resolved


def _stamp(scenario: Scenario, spec: BuildSpec, sources: list[Path]) -> str:
    digest = hashlib.sha256()
    digest.update(spec.model_dump_json().encode())
    digest.update(json.dumps([scenario.begin, scenario.end]).encode())
    digest.update(version("eclipse-sumo").encode())
    here = Path(__file__).parent
    for module in ("build.py", "lines.py", "pt.py", "detectors.py"):
        digest.update((here / module).read_bytes())
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()
