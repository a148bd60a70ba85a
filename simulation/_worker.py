"""The worker process of one run: SUMO through libsumo, then its outputs parsed into KPIs.

Started as ``python -m simulation._worker`` (a fresh interpreter that imports only what a run
needs), it reads the pickled :class:`RunPlan` from stdin and answers on its stdout with
length-prefixed pickled messages: ``("progress", sim_time)`` heartbeats, then
``("done", SimResult)`` or ``("error", error class name, message)``. SUMO's own console output
goes to ``sumo.log`` in the run folder, so a crash leaves its last words there.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from its import errors
from simulation import _outputs
from simulation.config import RunPlan
from simulation.kpis import by_type, run_kpis
from simulation.loop import run_loop
from simulation.result import SimResult

log = logging.getLogger(__name__)


def write_message(stream: BinaryIO, message: Any) -> None:
    """Write one length-prefixed pickled message."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("!Q", len(data)) + data)
    stream.flush()


def read_message(stream: BinaryIO) -> Any:
    """Read one message; EOFError when the other side is gone."""
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError
    (size,) = struct.unpack("!Q", header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class _Channel:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def send(self, message: Any) -> None:
        write_message(self.stream, message)

    def close(self) -> None:
        self.stream.close()


def main() -> None:
    """Entry point of the worker process: plan on stdin, messages on the original stdout."""
    plan: RunPlan = pickle.load(sys.stdin.buffer)
    channel = _Channel(os.fdopen(os.dup(1), "wb"))
    log_path = plan.outputs["log"]
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    _serve(plan, channel)


def _serve(plan: RunPlan, conn: _Channel) -> None:
    log_path = plan.outputs["log"]
    try:
        from simulation._libsumo import LibsumoBackend, SumoFailure, version
    except ImportError as error:  # pragma: no cover - broken install
        conn.send(("error", "SimulationError", f"libsumo cannot be imported: {error}"))
        return
    try:
        result = execute(plan, LibsumoBackend(), version=version(), progress=lambda t: conn.send(("progress", t)))
        conn.send(("done", result))
    except errors.ITSError as error:
        conn.send(("error", type(error).__name__, str(error)))
    except SumoFailure as error:
        message = " ".join(str(error).split())
        cause = _first_error(log_path)
        if cause and cause not in message:  # libsumo reports the last error, not the cause
            message = f"{cause} ({message})"
        conn.send(("error", "SimulationError", f"SUMO stopped: {message}"))
    except Exception as error:  # any other failure is reported, with its trace in sumo.log
        traceback.print_exc(file=sys.stderr)
        conn.send(("error", "SimulationError", f"{type(error).__name__}: {error} (trace in {log_path})"))
    finally:
        conn.close()


def _first_error(log_path: Path) -> str:
    """SUMO's first ``Error:`` line in the run's log (e.g. an option only sumo-gui knows,
    which makes SUMO refuse the whole configuration), without the prefix; "" when none."""
    sys.stderr.flush()
    try:
        with open(log_path, encoding="utf-8", errors="replace") as stream:
            first = next((line for line in stream if line.startswith("Error: ")), "")
    except OSError:
        return ""
    return " ".join(first[len("Error: ") :].split())


def execute(plan: RunPlan, backend, *, version: str = "", progress=None) -> SimResult:
    """Run ``plan`` on ``backend`` and parse SUMO's outputs (works with any backend)."""
    started = time.perf_counter()
    backend.start(list(plan.args))
    try:
        final = run_loop(backend, begin=plan.begin, end=plan.end, controllers=plan.controllers, progress=progress)
    finally:
        backend.close()  # SUMO writes the unfinished and undeparted trips on close
    if plan.end is None:
        plan = replace(plan, end=final)
    # the wall time covers SUMO's whole run and reading its outputs back
    return collect(plan, version=version, started=started)


def collect(plan: RunPlan, *, version: str = "", started: float | None = None) -> SimResult:
    """Parse the run's output files into a :class:`SimResult`."""
    out = plan.outputs
    trips = _outputs.read_tripinfo(out["tripinfo"])
    statistics = _outputs.read_statistics(out["statistics"])
    persons = _outputs.read_personinfo(out["persons"]) if "persons" in out else None
    conflicts = (
        _outputs.read_conflicts(out["ssm"], ttc_threshold_s=plan.kpis.ttc_threshold_s) if plan.kpis.ssm else None
    )
    end = plan.end if plan.end is not None else plan.begin
    kpis = run_kpis(
        trips,
        statistics,
        begin=plan.begin,
        end=end,
        conflicts=conflicts,
        emissions=plan.kpis.emissions,
        exclude_prefix=plan.exclude_types_prefix,
        persons=persons,
    )
    by_vtype = by_type(trips, exclude_prefix=plan.exclude_types_prefix)
    edges = _outputs.read_edgedata(out["edges"]) if plan.kpis.edges else None
    detectors = _outputs.read_detectors(out["detectors"]) if "detectors" in out else None
    lane_areas = _outputs.read_lane_areas(out["lane_areas"]) if "lane_areas" in out else None
    wall = time.perf_counter() - started if started is not None else None
    kpis["wall_time_s"] = wall
    kpis["realtime_factor"] = (end - plan.begin) / wall if wall else None
    return SimResult(
        scenario=plan.scenario,
        variant=plan.variant,
        seed=plan.seed,
        begin=plan.begin,
        end=end,
        kpis=kpis,
        by_type=by_vtype,
        edges=edges,
        detectors=detectors,
        lane_areas=lane_areas,
        out_dir=plan.run_dir,
        sumo_version=version,
    )


if __name__ == "__main__":
    main()
