"""Running a scenario in SUMO: prepare the inputs, run them in a worker process, collect KPIs.

Each run gets its own folder and its own worker process (libsumo in-process there), so a
SUMO crash or hang fails that run with a clear message and never takes the caller down.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import quoteattr

from its import errors
from its.errors import InputError, ScenarioError, SimulationError
from its.scenario import Scenario
from its.settings import Settings, get_settings
from simulation._process import NOTHING, WorkerProcess
from simulation._sumocfg import read_sumocfg
from simulation.config import RunConfig, RunPlan
from simulation.detectors import approach_loops, read_loops, write_loops
from simulation.result import SimResult
from simulation.variants import apply_variant

__all__ = ["prepare", "run", "run_plan"]

Progress = Callable[[float], None]


def prepare(scenario: Scenario, config: RunConfig, run_dir: Path) -> RunPlan:
    """Write the run's own input files into ``run_dir`` and assemble SUMO's arguments.

    Raises
    ------
    ScenarioError, VariantError, InputError
        On a scenario that is not built, a configuration naming missing files, a variant
        that does not fit the network, or an end before the begin.
    """
    if not scenario.built:
        raise ScenarioError(
            f"scenario {scenario.name!r} is not built yet ({scenario.sumocfg} is missing); "
            f"run: its scenario build {scenario.name}"
        )
    cfg = read_sumocfg(scenario.sumocfg)
    begin = _first(config.begin, scenario.begin, cfg.begin, 0.0)
    end = _first(config.end, scenario.end, cfg.end)
    if end is not None and end <= begin:
        raise InputError(f"end time {end:g} s is not after begin time {begin:g} s")
    kpis = config.kpis or scenario.kpis
    run_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "tripinfo": run_dir / "tripinfo.csv",
        "persons": run_dir / "personinfo.csv",
        "statistics": run_dir / "statistics.xml",
        "log": run_dir / "sumo.log",
    }
    routes = list(cfg.routes)
    additionals = list(cfg.additionals)
    options: list[str] = []
    hooks: list[object] = []
    if config.variant is not None:
        patch, routes = apply_variant(
            config.variant,
            {"scenario": scenario, "config": cfg, "run_dir": run_dir, "begin": begin, "end": end or begin},
            routes,
        )
        additionals += patch.additionals
        options += patch.options
        hooks += patch.hooks
    additionals += [Path(p).resolve() for p in config.additional_files]
    for extra in config.additional_files:
        if not Path(extra).is_file():
            raise InputError(f"additional file {extra} does not exist")

    measuring = []
    if kpis.edges:
        outputs["edges"] = run_dir / "edgedata.csv"
        measuring.append(
            f'    <edgeData id="its_edges" file="edgedata.csv" begin="{begin:g}" '
            f'period="{kpis.edge_period_s:g}" excludeEmpty="true"/>'
        )
    if kpis.detectors:
        loops = read_loops(scenario.detectors) if scenario.detectors else approach_loops(cfg.net)
        if loops:
            outputs["detectors"] = run_dir / "detectors.csv"
            write_loops(loops, run_dir / "detectors.add.xml", output="detectors.csv", period_s=kpis.detector_period_s)
            additionals.append(run_dir / "detectors.add.xml")
    if config.lane_areas:
        outputs["lane_areas"] = run_dir / "lane_areas.csv"
        period = f"{config.lane_area_period_s:g}"
        measuring += [
            f'    <laneAreaDetector id={quoteattr(name)} lanes={quoteattr(" ".join(lanes))} pos="0" endPos="-0.1" '
            f'period="{period}" file="lane_areas.csv"/>'
            for name, lanes in config.lane_areas
        ]
    if measuring:
        (run_dir / "measure.add.xml").write_text(
            "\n".join(["<additional>", *measuring, "</additional>", ""]), encoding="utf-8"
        )
        additionals.append(run_dir / "measure.add.xml")

    args = [
        "-c", str(cfg.path),
        "--net-file", str(cfg.net),
        "--route-files", ",".join(str(p) for p in routes),
        "--begin", f"{begin:g}",
        "--seed", str(config.seed),
        "--tripinfo-output", str(outputs["tripinfo"]),
        "--tripinfo-output.write-unfinished",
        "--tripinfo-output.write-undeparted",
        # persons apart: in the trip output's CSV they would land under the vehicle columns
        "--personinfo-output", str(outputs["persons"]),
        "--statistic-output", str(outputs["statistics"]),
        "--no-step-log",
        "--duration-log.disable",
    ]  # fmt: skip
    if additionals:  # SUMO refuses an empty file list
        args += ["--additional-files", ",".join(str(p) for p in additionals)]
    if end is not None:
        args += ["--end", f"{end:g}"]
    if kpis.emissions:
        args += ["--device.emissions.probability", "1"]
    if kpis.ssm:
        outputs["ssm"] = run_dir / "ssm.xml"
        args += [
            "--device.ssm.probability", f"{kpis.ssm_probability:g}",
            "--device.ssm.deterministic",
            "--device.ssm.range", f"{kpis.ssm_range_m:g}",
            "--device.ssm.measures", "TTC",
            "--device.ssm.thresholds", f"{kpis.ttc_threshold_s:g}",
            "--device.ssm.file", str(outputs["ssm"]),
        ]  # fmt: skip
    if config.time_to_teleport is not None:
        args += ["--time-to-teleport", f"{config.time_to_teleport:g}"]
    args += [*scenario.sumo_options, *options, *config.sumo_options]
    return RunPlan(
        label=config.label or f"{scenario.name}/{config.variant.name if config.variant else 'baseline'}/seed {config.seed}",
        run_dir=run_dir,
        args=tuple(args),
        begin=begin,
        end=end,
        kpis=kpis,
        outputs=outputs,
        controllers=(*hooks, *config.controllers),
        scenario=scenario.name,
        variant=config.variant.name if config.variant else "baseline",
        seed=config.seed,
    )


def run(
    scenario: Scenario,
    config: RunConfig = RunConfig(),
    *,
    out_dir: Path | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> SimResult:
    """Run ``scenario`` once in a worker process and return its KPIs and series.

    SUMO's output files stay in ``out_dir`` when given; otherwise a temporary folder is used
    and removed.
    """
    settings = settings or get_settings()
    with _folder(out_dir) as run_dir:
        plan = prepare(scenario, config, run_dir)
        result = run_plan(plan, progress=progress, timeout_s=settings.sim_timeout_s, stall_s=settings.sim_stall_s)
        return result if out_dir is not None else replace(result, out_dir=None)


@contextlib.contextmanager
def _folder(out_dir: Path | None) -> Iterator[Path]:
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        yield out_dir.resolve()
        return
    path = Path(tempfile.mkdtemp(prefix="its-run-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_plan(
    plan: RunPlan,
    *,
    progress: Progress | None = None,
    timeout_s: float = 3600.0,
    stall_s: float = 300.0,
) -> SimResult:
    """Execute a prepared plan in a fresh worker process, watching for crashes and hangs."""
    with WorkerProcess("simulation._worker", plan) as worker:
        started = last_beat = time.monotonic()
        sim_time = plan.begin
        while True:
            message = worker.receive(0.5)
            if message is None:  # the worker's output ended without an answer
                raise SimulationError(_crash_message(plan, worker.exit_code(), sim_time))
            if message is not NOTHING:
                last_beat = time.monotonic()
                if message[0] == "progress":
                    sim_time = message[1]
                    if progress is not None:
                        progress(sim_time)
                elif message[0] == "done":
                    worker.answered()
                    return message[1]
                else:
                    worker.answered()
                    _, kind, text = message
                    cls = getattr(errors, kind, SimulationError)
                    raise cls(f"{plan.label}: {text}")
            now = time.monotonic()
            if now - started > timeout_s:
                raise SimulationError(
                    f"{plan.label}: stopped after the run's time limit of {timeout_s:g} s "
                    f"(at simulation time {sim_time:g} s); raise ITS_SIM_TIMEOUT_S for longer runs"
                )
            if now - last_beat > stall_s:
                raise SimulationError(
                    f"{plan.label}: SUMO made no progress for {stall_s:g} s at simulation time "
                    f"{sim_time:g} s and was stopped as hung; see {plan.outputs['log']}"
                )


def _crash_message(plan: RunPlan, exitcode: int | None, sim_time: float) -> str:
    how = f"exit code {exitcode}"
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            how = f"signal {signal.Signals(-exitcode).name}"
    last = _last_log_line(plan.outputs["log"])
    detail = f"; SUMO's last message: {last}" if last else ""
    return f"{plan.label}: SUMO crashed ({how}) at simulation time {sim_time:g} s{detail}"


def _last_log_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    errors_only = [ln for ln in lines if ln.startswith(("Error", "Fatal"))]
    return (errors_only or lines or [""])[-1][:300]


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
