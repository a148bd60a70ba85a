"""What-if changes turned into SUMO inputs: additional files, route files and options.

Each change kind of :mod:`its.changes` has one applier here, registered by name. Appliers
write only into the run's own folder, so the scenario's files are never touched, and check
every edge, lane and signal id against the network first.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from its import changes as ch
from its.errors import VariantError
from its.registry import Registry
from its.scenario import Scenario
from its.xmlfile import open_xml
from simulation._netindex import NetIndex, net_index
from simulation._sumocfg import SumoConfig
from simulation.pt import rescale_line

__all__ = ["APPLIERS", "ChangeContext", "Patch", "ScaleVehicleTypes", "apply_variant"]


@dataclass
class Patch:
    """What changes add to a run: additional files, route files (new or replacing), options,
    and start hooks (controllers that act once when SUMO has loaded the scenario)."""

    additionals: list[Path] = field(default_factory=list)
    routes: list[Path] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    hooks: list[Any] = field(default_factory=list)


#: Vehicle classes that run to a timetable: scaling the demand leaves them alone.
TIMETABLED = frozenset({"bus", "coach", "tram", "rail_urban", "rail", "rail_electric", "rail_fast", "ship"})


@dataclass(frozen=True)
class ScaleVehicleTypes:
    """Start hook scaling the demand of every vehicle type except timetabled ones.

    SUMO's global ``--scale`` would also multiply the buses (a vType's own ``scale`` multiplies
    with it rather than overriding it), so each road vehicle type is scaled on its own.
    """

    factor: float
    interval_s: float = math.inf

    def start(self, sim: Any) -> None:
        for vtype in sim.apply("vehicletype", "getIDList"):
            if vtype.startswith("its_") or sim.apply("vehicletype", "getVehicleClass", vtype) in TIMETABLED:
                continue
            sim.apply("vehicletype", "setScale", vtype, self.factor * sim.apply("vehicletype", "getScale", vtype))

    def act(self, sim: Any) -> None:
        """Nothing to do after the start."""


@dataclass(frozen=True)
class ChangeContext:
    """What an applier may look at: the scenario, its SUMO inputs, the window and the run folder."""

    scenario: Scenario
    config: SumoConfig
    run_dir: Path
    begin: float
    end: float
    index: int

    @property
    def net(self) -> NetIndex:
        return net_index(self.config.net)

    def file(self, stem: str, suffix: str) -> Path:
        return self.run_dir / f"variant{self.index}_{stem}{suffix}"

    def window(self, change: Any) -> tuple[float, float]:
        begin = self.begin if change.begin is None else change.begin
        end = self.end if change.end is None else change.end
        return begin, end


Applier = Callable[[Any, ChangeContext, list[Path]], Patch]
APPLIERS: Registry[Applier] = Registry("variant change")


def apply_variant(variant: ch.Variant, ctx_base: dict[str, Any], routes: list[Path]) -> tuple[Patch, list[Path]]:
    """Apply every change of ``variant`` in order; returns the combined patch and route list."""
    total = Patch()
    for index, change in enumerate(variant.changes):
        ctx = ChangeContext(index=index, **ctx_base)
        patch = APPLIERS[change.kind](change, ctx, routes)
        total.additionals += patch.additionals
        if patch.options != _IGNORE_ROUTE_ERRORS or _IGNORE_ROUTE_ERRORS[0] not in total.options:
            total.options += patch.options  # SUMO refuses a flag given twice
        total.hooks += patch.hooks
        routes = patch.routes or routes
    return total, routes


def _write_additional(path: Path, body: list[str]) -> Path:
    path.write_text("\n".join(["<additional>", *body, "</additional>", ""]), encoding="utf-8")
    return path


def _scale(change: ch.ScaleDemand, ctx: ChangeContext, routes: list[Path]) -> Patch:
    return Patch(hooks=[ScaleVehicleTypes(change.factor)])


def _rerouter(ctx: ChangeContext, begin: float, end: float, closing: list[str], closed: set[str]) -> list[str]:
    # Vehicles learn of the closure on any edge they drive, so every route through the
    # closed element is changed in time (SUMO's closingReroute semantics).
    edges = " ".join(e for e in ctx.net.edges if e not in closed)
    return [
        f'    <rerouter id="its_closure{ctx.index}" edges={quoteattr(edges)}>',
        f'        <interval begin="{begin:g}" end="{end:g}">',
        *closing,
        "        </interval>",
        "    </rerouter>",
    ]


_IGNORE_ROUTE_ERRORS = ["--ignore-route-errors"]


def _close_edge(change: ch.CloseEdge, ctx: ChangeContext, routes: list[Path]) -> Patch:
    ctx.net.require_edges(change.edges, where="close-edge")
    begin, end = ctx.window(change)
    allow = f" allow={quoteattr(' '.join(change.allow))}" if change.allow else ""
    closing = [f"            <closingReroute id={quoteattr(e)}{allow}/>" for e in change.edges]
    path = _write_additional(ctx.file("closure", ".add.xml"), _rerouter(ctx, begin, end, closing, set(change.edges)))
    # With `allow` SUMO changes the edge's permissions, so a vehicle loaded during the closure
    # with a route through it would stop the whole run; SUMO then drops it with a warning
    # instead. (A full closure keeps routes valid and must not use this: buses whose stops lie
    # on the closed edge would lose them and block the road.)
    return Patch(additionals=[path], options=_IGNORE_ROUTE_ERRORS if change.allow else [])


def _close_lane(change: ch.CloseLane, ctx: ChangeContext, routes: list[Path]) -> Patch:
    ctx.net.require_lanes(change.lanes, where="close-lane")
    begin, end = ctx.window(change)
    closing = [f"            <closingLaneReroute id={quoteattr(lane)}/>" for lane in change.lanes]
    path = _write_additional(ctx.file("lane_closure", ".add.xml"), _rerouter(ctx, begin, end, closing, set()))
    return Patch(additionals=[path])


def _incident(change: ch.Incident, ctx: ChangeContext, routes: list[Path]) -> Patch:
    ctx.net.require_lanes([change.lane], where="incident")
    length, _ = ctx.net.lanes[change.lane]
    if change.pos > length:
        raise VariantError(
            f"incident: position {change.pos:g} m is beyond the end of lane {change.lane} ({length:.1f} m)"
        )
    edge, _, index = change.lane.rpartition("_")
    front = max(change.pos, min(change.length, length))
    # A stopped vehicle that ignores permissions blocks the lane: SUMO's way to model an incident.
    path = ctx.file("incident", ".rou.xml")
    path.write_text(
        "\n".join(
            [
                "<routes>",
                f'    <vType id="its_incident{ctx.index}" vClass="ignoring" length="{change.length:g}" '
                'minGap="0" color="1,0,0"/>',
                f'    <vehicle id="its_incident{ctx.index}" type="its_incident{ctx.index}" '
                f'depart="{change.begin:g}" departLane="{index}" departPos="{front:.2f}" '
                'departSpeed="0" insertionChecks="none">',
                f"        <route edges={quoteattr(edge)}/>",
                f'        <stop lane={quoteattr(change.lane)} endPos="{front:.2f}" duration="{change.duration:g}"/>',
                "    </vehicle>",
                "</routes>",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return Patch(routes=[*routes, path])


def _speed_limit(change: ch.SpeedLimit, ctx: ChangeContext, routes: list[Path]) -> Patch:
    ctx.net.require_edges(change.edges, where="speed-limit")
    begin, end = ctx.window(change)
    lanes = " ".join(lane for e in change.edges for lane in ctx.net.edges[e])
    body = [
        f'    <variableSpeedSign id="its_vss{ctx.index}" lanes={quoteattr(lanes)}>',
        f'        <step time="{begin:g}" speed="{change.speed_kmh / 3.6:.3f}"/>',
        f'        <step time="{end:g}" speed="-1"/>',  # back to each lane's own limit
        "    </variableSpeedSign>",
    ]
    return Patch(additionals=[_write_additional(ctx.file("speed", ".add.xml"), body)])


def _signal_program(change: ch.SignalProgram, ctx: ChangeContext, routes: list[Path]) -> Patch:
    path = change.file if change.file.is_absolute() else (ctx.scenario.root / change.file)
    if not path.is_file() and (Path.cwd() / change.file).is_file():
        path = Path.cwd() / change.file
    if not path.is_file():
        raise VariantError(f"signal-program: no such file {change.file}")
    try:
        with open_xml(path) as stream:
            root = ET.parse(stream).getroot()
    except ET.ParseError as error:
        line, column = error.position
        raise VariantError(f"signal-program: {path}:{line}:{column}: malformed XML: {error.msg}") from None
    programs = [e.get("id", "") for e in root.iter("tlLogic")]
    if not programs:
        raise VariantError(f"signal-program: {path} holds no tlLogic program")
    unknown = sorted(set(programs) - ctx.net.tls_ids)
    if unknown:
        raise VariantError(f"signal-program: {path} names traffic lights not in the network: {', '.join(unknown)}")
    return Patch(additionals=[path.resolve()])


def _bus_frequency(change: ch.BusFrequency, ctx: ChangeContext, routes: list[Path]) -> Patch:
    begin, end = ctx.window(change)
    candidates = [ctx.scenario.bus_routes] if ctx.scenario.bus_routes in routes else []
    candidates += [r for r in routes if r not in candidates]
    for source in candidates:
        if source is None or not _has_line(source, change.line):
            continue
        target = ctx.file(f"buses_{source.stem.split('.')[0]}", ".rou.xml")
        rescale_line(source, target, line=change.line, factor=change.factor, begin=begin, end=end)
        return Patch(routes=[target if r == source else r for r in routes])
    raise VariantError(f"bus-frequency: no route file of this scenario has buses of line {change.line!r}")


def _bus_timetable(change: ch.BusTimetable, ctx: ChangeContext, routes: list[Path]) -> Patch:
    if change.routes is None:
        raise VariantError(
            f"bus-timetable: the GTFS feed {change.feed} must first be turned into buses on the "
            "scenario's stops (its simulate and its compare do that)"
        )
    if not change.routes.is_file():
        raise VariantError(f"bus-timetable: no such route file {change.routes}")
    bus_routes = ctx.scenario.bus_routes
    if bus_routes is None or bus_routes.resolve() not in [r.resolve() for r in routes]:
        return Patch(routes=[*routes, change.routes.resolve()])
    return Patch(routes=[change.routes.resolve() if r.resolve() == bus_routes.resolve() else r for r in routes])


def _has_line(path: Path, line: str) -> bool:
    with open_xml(path) as stream:
        for _, element in ET.iterparse(stream, events=("start",)):
            if element.tag == "vehicle" and element.get("line") == line:
                return True
    return False


APPLIERS.register("scale-demand", _scale)
APPLIERS.register("close-edge", _close_edge)
APPLIERS.register("close-lane", _close_lane)
APPLIERS.register("incident", _incident)
APPLIERS.register("speed-limit", _speed_limit)
APPLIERS.register("signal-program", _signal_program)
APPLIERS.register("bus-frequency", _bus_frequency)
APPLIERS.register("bus-timetable", _bus_timetable)
