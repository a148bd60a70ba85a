"""The twin's worker process: SUMO through libsumo, paced to the wall clock, sending frames.

Started as ``python -m simulation._twin``; reads a pickled :class:`simulation.twin.TwinPlan`
on stdin and answers with length-prefixed pickled messages on its stdout: ``("frame",
TwinFrame)`` as the run goes, then ``("done", sim_time)`` or ``("error", kind, message)``.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import traceback
import zlib

from simulation._worker import write_message
from simulation.twin import BusState, TwinFrame, TwinPlan


def main() -> None:
    plan: TwinPlan = pickle.load(sys.stdin.buffer)
    channel = os.fdopen(os.dup(1), "wb")
    fd = os.open(plan.run.outputs["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        end = serve(plan, lambda frame: write_message(channel, ("frame", frame)))
        write_message(channel, ("done", end))
    except Exception as error:  # reported to the parent, with the trace in sumo.log
        traceback.print_exc(file=sys.stderr)
        write_message(channel, ("error", "SimulationError", f"{type(error).__name__}: {' '.join(str(error).split())}"))
    finally:
        channel.close()


def serve(plan: TwinPlan, send) -> float:
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
        while now < end - 1e-9:
            target = min(next_emit, next_count, end, *due)
            sumo.simulationStep(target)
            now = float(sumo.simulation.getTime())
            for i, controller in enumerate(controllers):
                if now >= due[i] - 1e-9:
                    controller.act(backend)
                    while due[i] <= now + 1e-9:
                        due[i] += controller.interval_s
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
                send(TwinFrame(now, tuple(detectors), tuple(probes), tuple(buses)))
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
