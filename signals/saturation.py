"""Saturation flows measured in SUMO: the vehicles per hour of green each signalised movement
discharges from a standing queue, for the network's own geometry (lane speeds, turn radii,
lane lengths) and the demand's own vehicle type.

Handbook saturation flows (1,800 veh/h per lane, adjusted for turns) can be far from what a
simulated network achieves: on the benchmark's arterial a left turn discharges about 1,500
veh/h and a straight lane 1,600 with SUMO's default driver imperfection. Webster sizing and
the capacity report (:func:`signals.webster.size`, ``its signals capacity``) take these
measurements instead of the handbook factors when asked to.

Each movement is measured alone: a flow far above capacity on a route of just the incoming
and the outgoing edge, inserted on the movement's own lane with strategic lane changing off,
the signal held green for that movement and red for every other one, and the vehicles
arriving at the end of the outgoing edge counted over a window after the queue has formed.
Movements of different signals whose edges do not touch run in the same simulation, so a
network needs about as many runs as its busiest signal has movements with traffic.
SUMO has no tool for this (its tools estimate capacity from the network's speeds), hence the
code here.
"""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from its.control import Phase, TimingPlan
from its.errors import InputError, ToolError
from its.xmlfile import open_xml
from signals._tlsxml import render
from signals.model import Link, Signal

__all__ = ["measure", "vehicle_type"]

#: The vehicle type SUMO uses when a vehicle names none.
_DEFAULT_TYPE = '<vType id="{id}"/>'
_TYPE_ID = "its-saturation"
#: Queued vehicles timed per green: the handbook's saturation headway is the mean from the
#: fifth vehicle on; a longer queue adds little and lengthens every run.
_QUEUE_MAX = 20


def vehicle_type(route_files: Iterable[Path]) -> str:
    """The ``<vType>`` element (XML text) of the type most vehicles of the demand use, or
    SUMO's default car when they name none (or name one defined elsewhere)."""
    used: Counter[str] = Counter()
    defined: dict[str, ET.Element] = {}
    distributions: dict[str, ET.Element] = {}
    for path in route_files:
        try:
            with open_xml(path) as stream:
                for _, element in ET.iterparse(stream, events=("end",)):
                    tag = element.tag
                    if tag == "vType":
                        defined.setdefault(element.get("id", ""), element)
                        continue
                    if tag == "vTypeDistribution":
                        distributions[element.get("id", "")] = element
                        continue
                    if tag in ("vehicle", "trip", "flow"):
                        weight = 1.0
                        if tag == "flow":
                            weight = float(element.get("number", 0) or 0) or 100.0
                        used[element.get("type", "DEFAULT_VEHTYPE")] += weight
                        element.clear()
        except ET.ParseError as error:
            raise InputError(f"route file {path} is not valid XML: {error}") from None
        except OSError as error:
            raise InputError(f"route file {path} cannot be read: {error.strerror}") from None
    for name, _ in used.most_common():
        element = defined.get(name)
        if element is None and name in distributions:
            element = next(iter(distributions[name].iter("vType")), None)
        if element is not None:
            copy = ET.fromstring(ET.tostring(element))
            copy.set("id", _TYPE_ID)
            copy.attrib.pop("probability", None)
            return _pinned(copy)
    return _pinned(ET.fromstring(_DEFAULT_TYPE.format(id=_TYPE_ID)))


def _pinned(vtype: ET.Element) -> str:
    """The type with lane changing off, so every vehicle keeps the lane it was inserted on."""
    for attribute in ("lcStrategic", "lcCooperative", "lcSpeedGain", "lcKeepRight"):
        vtype.set(attribute, "-1" if attribute == "lcStrategic" else "0")
    return ET.tostring(vtype, encoding="unicode")


def _rounds(targets: Sequence[tuple[Signal, Link]]) -> list[list[tuple[Signal, Link]]]:
    """Groups of movements that can be measured in one simulation: one per signal, and no
    edge of one movement's route used by another."""
    rounds: list[tuple[set[str], set[str], list[tuple[Signal, Link]]]] = []
    for signal, link in targets:
        edges = {link.from_edge, link.to_edge}
        for tls, used, members in rounds:
            if signal.tls_id not in tls and not edges & used:
                tls.add(signal.tls_id)
                used.update(edges)
                members.append((signal, link))
                break
        else:
            rounds.append(({signal.tls_id}, set(edges), [(signal, link)]))
    return [members for _, _, members in rounds]


def measure(
    net: Path,
    movements: Iterable[tuple[Signal, Link]],
    vtype: str,
    lane_lengths: dict[str, float],
    run_sumo: Callable[[list[str]], object],
    *,
    cycles: int = 12,
    red_s: float = 60.0,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[tuple[str, str], float]:
    """Saturation flow (vehicles per hour of green) of each movement, keyed by its
    ``(from_lane, to_lane)``.

    The movement's signal alternates ``red_s`` of red, which fills the incoming lane with a
    standing queue, and a green long enough to empty it, ``cycles`` times; an instant
    induction loop at the stop line times every vehicle, and the saturation headway is the
    mean headway from the fifth queued vehicle to the last one that stood in the queue (at
    most the 20th; the handbook's definition: the first four carry the start-up loss).
    ``vtype`` is a ``<vType>`` element (see :func:`vehicle_type`); ``lane_lengths`` gives
    each incoming lane's length in metres; ``run_sumo`` runs the ``sumo`` binary with the
    arguments given (the simulation package's tool runner: signals does not import it).
    Movements whose lane holds fewer than three queued vehicles, or that SUMO cannot run (a
    lane the type may not use), are left out.

    Raises
    ------
    ToolError
        If SUMO fails on the network.
    """
    element = ET.fromstring(vtype)
    spacing = float(element.get("length", 5.0)) + float(element.get("minGap", 2.5))
    storage = {}
    targets = []
    unique = {(link.from_lane, link.to_lane): (signal, link) for signal, link in movements}
    for signal, link in unique.values():
        queued = min(_QUEUE_MAX, int(0.9 * lane_lengths.get(link.from_lane, 0.0) / spacing))
        if queued >= 3:
            storage[link.from_lane] = queued
            targets.append((signal, link))
    rounds = _rounds(targets)
    result: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory(prefix="its-saturation-") as tmp:
        folder = Path(tmp)
        for done, members in enumerate(rounds):
            greens = [_green_s(storage[link.from_lane]) for _, link in members]
            end = cycles * (red_s + max(greens))
            files = _write_round(folder, members, greens, vtype, red_s, end)
            try:
                run_sumo(
                    ["--net-file", str(net), "--route-files", str(files[0]), "--additional-files", str(files[1]),
                     "--begin", "0", "--end", f"{end:g}", "--seed", str(seed), "--time-to-teleport", "-1",
                     "--no-step-log", "--no-warnings", "--ignore-route-errors", "--duration-log.disable",
                     # a vehicle that finds its lane full is dropped, not queued for later
                     "--max-depart-delay", "0"]
                )  # fmt: skip
            except ToolError as error:
                raise ToolError(f"measuring saturation flows on {net.name}: {error}") from None
            leaves: dict[str, list[float]] = {}
            for _, item in ET.iterparse(files[2], events=("end",)):
                if item.tag == "instantOut" and item.get("state") == "leave":
                    leaves.setdefault(item.get("id", ""), []).append(float(item.get("time", 0.0)))
                item.clear()
            for k, ((_, link), green) in enumerate(zip(members, greens, strict=True)):
                headways = _queue_headways(
                    sorted(leaves.get(f"k{k}", ())), red_s, green, cycles, storage[link.from_lane]
                )
                if headways:
                    result[(link.from_lane, link.to_lane)] = 3600.0 * len(headways) / sum(headways)
            if progress is not None:
                progress(done + 1, len(rounds))
    return result


def _green_s(queued: int) -> float:
    """A green long enough for ``queued`` standing vehicles to leave."""
    return max(20.0, 3.5 * queued)


def _write_round(
    folder: Path,
    members: Sequence[tuple[Signal, Link]],
    greens: Sequence[float],
    vtype: str,
    red_s: float,
    end: float,
) -> tuple[Path, str, Path]:
    """The files of one round: routes (a flow on each movement's lane, far above capacity),
    the additional files as SUMO takes them (each signal red, then only its movement green;
    a loop at the stop line) and the loops' output file."""
    routes, programs, detectors = (
        folder / "routes.rou.xml",
        folder / "programs.add.xml",
        folder / "loops.add.xml",
    )
    loops = folder / "loops.xml"
    route_lines = ["<routes>", vtype]
    plans, loop_lines = [], ["<additional>"]
    for k, ((signal, link), green) in enumerate(zip(members, greens, strict=True)):
        route_lines.append(
            f'<route id="r{k}" edges={quoteattr(f"{link.from_edge} {link.to_edge}")}/>'
        )
        route_lines.append(
            f'<flow id="f{k}" type="{_TYPE_ID}" route="r{k}" begin="0" end="{end:g}" period="1" '
            f'departLane="{link.from_lane.rsplit("_", 1)[1]}" departPos="base" departSpeed="0"/>'
        )
        state = "".join("G" if i == link.index else "r" for i in range(signal.size))
        plans.append(
            TimingPlan(
                signal.tls_id, _TYPE_ID, (Phase("r" * signal.size, red_s), Phase(state, green))
            )
        )
        loop_lines.append(
            f'<instantInductionLoop id="k{k}" lane={quoteattr(link.from_lane)} pos="-0.1" '
            f"file={quoteattr(str(loops))}/>"
        )
    routes.write_text("\n".join([*route_lines, "</routes>"]), encoding="utf-8")
    programs.write_text(render(plans), encoding="utf-8")
    detectors.write_text("\n".join([*loop_lines, "</additional>"]), encoding="utf-8")
    return routes, f"{programs},{detectors}", loops


def _queue_headways(
    leaves: Sequence[float], red_s: float, green_s: float, cycles: int, queued: int
) -> list[float]:
    """Headways between the queued vehicles leaving on each green after the first (which
    fills the lane from empty), past the start-up loss of the first four."""
    headways: list[float] = []
    cycle = red_s + green_s
    for c in range(1, cycles):
        start = c * cycle + red_s
        times = [t for t in leaves if start <= t < start + green_s][:queued]
        queue = times[4:] if len(times) > 5 else times[1:]
        headways += [b - a for a, b in zip(queue, queue[1:], strict=False)]
    return headways
