"""The twin's worker process: SUMO through libsumo, paced to the wall clock, sending frames.

Started as ``python -m simulation._twin``; reads a pickled :class:`simulation.twin.TwinPlan`
on stdin and answers with length-prefixed pickled messages on its stdout: ``("frame",
TwinFrame)`` as the run goes, then ``("done", sim_time)`` or ``("error", kind, message)``.
While it runs, further messages on stdin, ``("controller", controller)``, add controllers
to the running simulation (a plan swapped in at a cycle boundary, say); a joined controller
that reports ``done`` is answered with ``("deployed", sim_time, controller.records)``.
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
import time
import traceback
import zlib
from typing import Any

from simulation._worker import read_message, write_message
from simulation.twin import BusState, TwinFrame, TwinPlan


def main() -> None:
    plan: TwinPlan = pickle.load(sys.stdin.buffer)
    channel = os.fdopen(os.dup(1), "wb")
    fd = os.open(plan.run.outputs["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    inbox: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_listen, args=(inbox,), daemon=True).start()
    try:
        end = serve(plan, lambda message: write_message(channel, message), inbox)
        write_message(channel, ("done", end))
    except Exception as error:  # reported to the parent, with the trace in sumo.log
        traceback.print_exc(file=sys.stderr)
        write_message(channel, ("error", "SimulationError", f"{type(error).__name__}: {' '.join(str(error).split())}"))
    finally:
        channel.close()


def _listen(inbox: queue.Queue[Any]) -> None:
    """Messages from the parent after the plan, until it closes our stdin."""
    try:
        while True:
            inbox.put(read_message(sys.stdin.buffer))
    except (EOFError, OSError, pickle.UnpicklingError):
        return


def serve(plan: TwinPlan, send, inbox: queue.Queue[Any] | None = None) -> float:
    import libsumo as sumo

    from simulation._libsumo import LibsumoBackend

    run = plan.run
    backend = LibsumoBackend()
    backend.start(run.args)
    try:
        controllers = list(run.controllers)  # a variant's hooks and any adaptive control
        for controller in controllers:
            controller.start(backend)
        due = [float(sumo.simulation.getTime()) + c.interval_s for c in controllers]
        begin = float(sumo.simulation.getTime())
        end = run.end if run.end is not None else float("inf")
        wall0 = time.monotonic()
        threshold = int(plan.probe_share * 10_000)
        next_emit = begin + plan.emit_every_s
        next_count = begin + plan.detector_period_s
        now = begin
        joined: list[Any] = []
        while now < end - 1e-9:
            target = min(next_emit, next_count, end, *due)
            sumo.simulationStep(target)
            now = float(sumo.simulation.getTime())
            while inbox is not None and not inbox.empty():
                kind, joining = inbox.get_nowait()
                if kind == "controller":
                    joining.start(backend)
                    controllers.append(joining)
                    due.append(now)
                    joined.append(joining)
            for i, controller in enumerate(controllers):
                if now >= due[i] - 1e-9:
                    controller.act(backend)
                    while due[i] <= now + 1e-9:
                        due[i] += controller.interval_s
            for controller in [c for c in joined if getattr(c, "done", False)]:
                joined.remove(controller)
                send(("deployed", now, getattr(controller, "records", None)))
            if run.end is None and sumo.simulation.getMinExpectedNumber() == 0:
                end = now
            if plan.speed > 0:  # keep pace with the wall clock
                ahead = wall0 + (now - begin) / plan.speed - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            detectors: list[dict] = []
            if now >= next_count - 1e-9:
                start = next_count - plan.detector_period_s
                for loop_id, _lane in plan.loops:
                    vehicles = sumo.inductionloop.getLastIntervalVehicleNumber(loop_id)
                    speed = sumo.inductionloop.getLastIntervalMeanSpeed(loop_id)
                    row = {
                        "detector": loop_id,
                        "time": start,
                        "interval_s": plan.detector_period_s,
                        "vehicles": vehicles,
                        "occupancy_pct": sumo.inductionloop.getLastIntervalOccupancy(loop_id),
                    }
                    if speed >= 0:
                        row["speed_ms"] = speed
                    detectors.append(row)
                next_count += plan.detector_period_s
            probes: list[dict] = []
            buses: list[BusState] = []
            if now >= next_emit - 1e-9:
                for vid in sumo.vehicle.getIDList():
                    vclass = sumo.vehicle.getVehicleClass(vid)
                    if vclass == "bus":
                        buses.append(_bus(sumo, vid))
                    elif vclass == "passenger" and zlib.crc32(vid.encode()) % 10_000 < threshold:
                        x, y = sumo.vehicle.getPosition(vid)
                        lon, lat = sumo.simulation.convertGeo(x, y)
                        probes.append(
                            {"vehicle": vid, "time": now, "lon": lon, "lat": lat,
                             "speed_ms": sumo.vehicle.getSpeed(vid), "heading": sumo.vehicle.getAngle(vid) % 360.0}
                        )  # fmt: skip
                next_emit += plan.emit_every_s
            if detectors or probes or buses:
                send(("frame", TwinFrame(now, tuple(detectors), tuple(probes), tuple(buses))))
        return now
    finally:
        backend.close()


def _bus(sumo, vid: str) -> BusState:
    x, y = sumo.vehicle.getPosition(vid)
    lon, lat = sumo.simulation.convertGeo(x, y)
    upcoming = sumo.vehicle.getStops(vid, 1)
    served = sumo.vehicle.getStops(vid, -1)
    last = served[-1] if served else None
    return BusState(
        vehicle_id=vid,
        trip_id=vid.removeprefix("bus_"),
        line=sumo.vehicle.getLine(vid),
        lon=lon,
        lat=lat,
        speed_ms=sumo.vehicle.getSpeed(vid),
        heading_deg=sumo.vehicle.getAngle(vid) % 360.0,
        next_stop=upcoming[0].stoppingPlaceID or None if upcoming else None,
        last_stop=(last.stoppingPlaceID or None) if last else None,
        last_arrival_s=float(last.arrival) if last and last.arrival >= 0 else None,
        last_departure_s=float(last.depart) if last and last.depart >= 0 else None,
    )


if __name__ == "__main__":
    main()
