"""The live twin: a SUMO run of a scenario stepping in (optionally accelerated) real time,
emitting what field equipment would send: detector counts per interval, the fixes of a
sample of probe vehicles, and the positions and stop events of its buses.

Like every run, SUMO lives in its own worker process (``python -m simulation._twin``);
frames come back over a pipe and are handed to ``on_frame`` in the caller's thread, where
``api.services`` passes them through the very adapters a real feed goes through. Times in a
frame are simulation seconds; ``epoch`` maps them to Unix time (``epoch + sim_time``).
"""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from its.changes import Variant
from its.errors import InputError, SimulationError
from its.scenario import KpiSet, Scenario
from simulation._process import NOTHING, WorkerProcess
from simulation.config import RunConfig, RunPlan
from simulation.run import prepare

__all__ = ["BusState", "TwinConfig", "TwinFrame", "TwinPlan", "TwinSummary", "run_twin"]


@dataclass(frozen=True)
class TwinConfig:
    """How the twin runs.

    Parameters
    ----------
    speed
        Simulated seconds per wall-clock second (1 is real time; 0 runs as fast as SUMO can).
    begin, end
        Simulation window, seconds (default: the scenario's).
    emit_every_s
        Simulated seconds between frames of probe and bus positions.
    detector_period_s
        Counting interval of the induction loops, seconds.
    probe_share
        Share of cars that report as probe vehicles (a fixed sample by vehicle id).
    seed
        SUMO's random seed.
    variant
        What-if changes applied to the twin (a closure, an incident, more demand...), so the
        operations centre sees their effect arrive through the feeds.
    controllers
        :class:`its.control.Controller` objects stepped inside the twin (e.g. adaptive
        signals), as in any run.
    """

    speed: float = 1.0
    begin: float | None = None
    end: float | None = None
    emit_every_s: float = 10.0
    detector_period_s: float = 60.0
    probe_share: float = 0.1
    seed: int = 42
    variant: Variant | None = None
    controllers: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.speed < 0:
            raise InputError(f"twin speed must be 0 (as fast as possible) or positive, got {self.speed:g}")
        if not 0 <= self.probe_share <= 1:
            raise InputError(f"probe share must be between 0 and 1, got {self.probe_share:g}")
        if self.emit_every_s <= 0 or self.detector_period_s <= 0:
            raise InputError("twin emit and detector periods must be positive seconds")


@dataclass(frozen=True)
class BusState:
    """A bus in the twin: its SUMO id, GTFS trip (the id without the ``bus_`` prefix), line,
    position (WGS84), speed (m/s), heading (degrees from north), the next stop, and the last
    stop it served with its actual arrival and departure (simulation seconds).
    """

    vehicle_id: str
    trip_id: str
    line: str
    lon: float
    lat: float
    speed_ms: float
    heading_deg: float
    next_stop: str | None
    last_stop: str | None
    last_arrival_s: float | None
    last_departure_s: float | None


@dataclass(frozen=True)
class TwinFrame:
    """What the twin emits at one moment (simulation seconds).

    ``detectors`` are rows for :func:`its.feeds.detectors.from_rows` (time in simulation
    seconds, to be shifted by the epoch); ``probes`` are rows for
    :func:`its.feeds.probes.parse_rows` with the SUMO vehicle id as the raw id.
    """

    sim_time: float
    detectors: tuple[dict[str, Any], ...] = ()
    probes: tuple[dict[str, Any], ...] = ()
    buses: tuple[BusState, ...] = ()


@dataclass(frozen=True)
class TwinPlan:
    """What the twin's worker process executes."""

    run: RunPlan
    loops: tuple[tuple[str, str], ...]
    speed: float
    emit_every_s: float
    detector_period_s: float
    probe_share: float


@dataclass(frozen=True)
class TwinSummary:
    frames: int
    sim_begin: float
    sim_end: float
    wall_s: float
    stopped: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def run_twin(
    scenario: Scenario,
    config: TwinConfig,
    on_frame: Callable[[TwinFrame], None],
    *,
    stop: threading.Event | None = None,
    run_dir: Path | None = None,
    stall_s: float = 120.0,
    inbox: queue.Queue[Any] | None = None,
    on_deployed: Callable[[float, Any], None] | None = None,
) -> TwinSummary:
    """Run the twin until its window ends or ``stop`` is set; frames go to ``on_frame``.

    Controllers put in ``inbox`` while it runs join the simulation (e.g. a
    ``signals.deploy.PlanSwitch`` swapping a plan in at the next cycle boundary);
    ``on_deployed(sim_time, records)`` hears when one is done.

    Raises
    ------
    ScenarioError
        If the scenario is not built.
    SimulationError
        If SUMO fails or stops answering.
    """
    from simulation.detectors import read_loops

    folder = run_dir or Path(tempfile.mkdtemp(prefix="its-twin-"))
    kpis = KpiSet(edges=False, detectors=True, detector_period_s=config.detector_period_s)
    run_config = RunConfig(
        seed=config.seed, begin=config.begin, end=config.end, kpis=kpis, variant=config.variant,
        controllers=config.controllers, label=f"{scenario.name}/twin",
    )  # fmt: skip
    plan = prepare(scenario, run_config, folder)
    loops_file = folder / "detectors.add.xml"
    loops = tuple((loop.loop_id, loop.lane) for loop in read_loops(loops_file)) if loops_file.is_file() else ()
    twin = TwinPlan(
        run=replace(plan, kpis=kpis),
        loops=loops,
        speed=config.speed,
        emit_every_s=config.emit_every_s,
        detector_period_s=config.detector_period_s,
        probe_share=config.probe_share,
    )
    stop = stop or threading.Event()
    started = last_beat = time.monotonic()
    frames = 0
    sim_time = plan.begin
    counts = {"detectors": 0, "probes": 0, "buses": 0}
    with WorkerProcess("simulation._twin", twin, keep_open=True) as worker:
        while not stop.is_set():
            while inbox is not None and not inbox.empty():
                worker.send(("controller", inbox.get_nowait()))
            message = worker.receive(0.2)
            if message is NOTHING:
                if time.monotonic() - last_beat > stall_s:
                    raise SimulationError(f"the twin of {scenario.name} made no progress for {stall_s:g} s")
                continue
            last_beat = time.monotonic()
            if message is None:
                code = worker.exit_code()
                raise SimulationError(f"the twin of {scenario.name} stopped unexpectedly (exit code {code}); see {plan.outputs['log']}")
            if message[0] == "frame":
                frame: TwinFrame = message[1]
                sim_time = frame.sim_time
                frames += 1
                counts["detectors"] += len(frame.detectors)
                counts["probes"] += len(frame.probes)
                counts["buses"] += len(frame.buses)
                on_frame(frame)
            elif message[0] == "deployed":
                if on_deployed is not None:
                    on_deployed(message[1], message[2])
            elif message[0] == "done":
                worker.answered()
                return TwinSummary(frames, plan.begin, message[1], time.monotonic() - started, False, counts)
            elif message[0] == "error":
                worker.answered()
                raise SimulationError(f"the twin of {scenario.name}: {message[2]}")
        return TwinSummary(frames, plan.begin, sim_time, time.monotonic() - started, True, counts)
