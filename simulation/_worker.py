"""The worker process of one run: SUMO through libsumo, then its outputs parsed into KPIs.

The parent talks to it over a one-way pipe: ``("progress", sim_time)`` heartbeats, then
``("done", SimResult)`` or ``("error", error class name, message)``. SUMO's own console output
goes to ``sumo.log`` in the run folder, so a crash leaves its last words there.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection

from its import errors
from simulation import _outputs
from simulation.config import RunPlan
from simulation.kpis import by_type, run_kpis
from simulation.loop import run_loop
from simulation.result import SimResult

log = logging.getLogger(__name__)


def main(plan: RunPlan, conn: Connection) -> None:
    """Entry point of the worker process."""
    log_path = plan.outputs["log"]
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
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
        conn.send(("error", "SimulationError", f"SUMO stopped: {message}"))
    except Exception as error:  # any other failure is reported, with its trace in sumo.log
        traceback.print_exc(file=sys.stderr)
        conn.send(("error", "SimulationError", f"{type(error).__name__}: {error} (trace in {log_path})"))
    finally:
        conn.close()


def execute(plan: RunPlan, backend, *, version: str = "", progress=None) -> SimResult:
    """Run ``plan`` on ``backend`` and parse SUMO's outputs (works with any backend)."""
    started = time.perf_counter()
    backend.start(list(plan.args))
    try:
        final = run_loop(backend, begin=plan.begin, end=plan.end, controllers=plan.controllers, progress=progress)
    finally:
        backend.close()  # SUMO writes the unfinished and undeparted trips on close
    wall = time.perf_counter() - started
    if plan.end is None:
        plan = replace(plan, end=final)
    return collect(plan, wall_time_s=wall, version=version)


def collect(plan: RunPlan, *, wall_time_s: float, version: str = "") -> SimResult:
    """Parse the run's output files into a :class:`SimResult`."""
    out = plan.outputs
    trips = _outputs.read_tripinfo(out["tripinfo"])
    statistics = _outputs.read_statistics(out["statistics"])
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
    )
    kpis["wall_time_s"] = wall_time_s
    kpis["realtime_factor"] = (end - plan.begin) / wall_time_s if wall_time_s > 0 else None
    return SimResult(
        scenario=plan.scenario,
        variant=plan.variant,
        seed=plan.seed,
        begin=plan.begin,
        end=end,
        kpis=kpis,
        by_type=by_type(trips, exclude_prefix=plan.exclude_types_prefix),
        edges=_outputs.read_edgedata(out["edges"]) if plan.kpis.edges else None,
        detectors=_outputs.read_detectors(out["detectors"]) if "detectors" in out else None,
        out_dir=plan.run_dir,
        sumo_version=version,
    )
