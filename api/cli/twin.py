"""``its twin``: the live twin, a SUMO run in (accelerated) real time feeding the store."""

from __future__ import annotations

import json
import queue
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from api import services
from api.cli._common import built_scenario, err, out, print_json, progress_bar
from its.errors import InputError
from its.scenario import resolve_variant
from its.settings import get_settings
from its.units import clock, parse_duration, parse_time

app = typer.Typer(help="Run the live twin: a SUMO run emitting detector, probe and bus feeds.", no_args_is_help=True)


@app.command()
def run(
    target: Annotated[str, typer.Argument(help="Scenario name, folder or .sumocfg.")],
    speed: Annotated[float, typer.Option("--speed", min=0, help="Simulated seconds per real second (0: as fast as possible).")] = 1.0,
    duration: Annotated[str | None, typer.Option("--duration", help="Simulated time to run, e.g. 15min (default: the scenario's window).")] = None,
    probe_share: Annotated[float, typer.Option("--probe-share", min=0, max=1, help="Share of cars reporting as probes.")] = 0.1,
    every: Annotated[float, typer.Option("--every", min=1, help="Simulated seconds between probe and bus reports.")] = 10.0,
    detector_period: Annotated[float, typer.Option("--detector-period", min=1, help="Detector counting interval, s.")] = 60.0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the GTFS-Realtime files (vehiclepositions.pb, tripupdates.pb).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="SUMO's random seed.")] = 42,
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", "-v", help="A declared what-if variant or an ad hoc change KIND:key=value,... (repeat to combine)."),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    deploy: Annotated[
        Path | None, typer.Option("--deploy", help="A signal plan file to swap in while the twin runs, at a cycle boundary.")
    ] = None,
    deploy_at: Annotated[str | None, typer.Option("--deploy-at", help="Simulation time to deploy the plan, HH:MM or seconds (default: at once).")] = None,
) -> None:
    """Run the twin; its readings go through the feed adapters into the store and conditions."""
    from simulation.twin import TwinConfig

    settings = get_settings()
    scenario = built_scenario(target)
    begin = scenario.begin or 0.0
    end = begin + parse_duration(duration, field="--duration") if duration else scenario.end
    config = TwinConfig(
        speed=speed, end=end, emit_every_s=every, detector_period_s=detector_period, probe_share=probe_share, seed=seed,
        variant=services.materialize_timetables(
            scenario, resolve_variant(scenario, variant or []), Path(tempfile.mkdtemp(prefix="its-variant-"))
        ),
    )  # fmt: skip
    inbox: queue.Queue[Any] = queue.Queue()
    deployed: list[dict[str, Any]] = []
    if deploy is not None:
        if not deploy.is_file():
            raise InputError(f"plan file {deploy} does not exist")
        at_s = parse_time(deploy_at) if deploy_at else None
        inbox.put(services.plan_switch(scenario, deploy, at_s=at_s))
    elif deploy_at is not None:
        raise InputError("--deploy-at needs --deploy PLAN")

    def on_deployed(sim_time: float, records: Any) -> None:
        err.print(f"plan {deploy} in place at {clock(sim_time)} on {len(records or [])} signal(s)")
        deployed.extend(
            {"tls_id": r.tls_id, "boundary": clock(r.boundary_s) if r.boundary_s is not None else None,
             "installed": clock(r.installed_s) if r.installed_s is not None else None}
            for r in records or []
        )  # fmt: skip

    with services.open_store(settings) as store, progress_bar() as bar:
        task = bar.add_task(f"twin {scenario.name} x{speed:g}", total=(end - begin) if end else None)

        def report(frame, totals) -> None:
            bar.update(task, completed=frame.sim_time - begin, description=f"twin {scenario.name} {clock(frame.sim_time)}: {totals['stored']:,} readings")

        try:
            summary = services.run_live_twin(
                scenario, config, store, settings, out_dir=out_dir, on_frame=report, inbox=inbox, on_deployed=on_deployed
            )
        except KeyboardInterrupt:
            err.print("twin stopped")
            raise typer.Exit(130) from None
        readings = store.count_readings()
    data = {
        "scenario": scenario.name,
        "variant": config.variant.name if config.variant else "baseline",
        "frames": summary.frames,
        "sim_begin": clock(summary.sim_begin),
        "sim_end": clock(summary.sim_end),
        "wall_s": round(summary.wall_s, 1),
        "emitted": summary.counts,
        "readings_in_store": readings,
    }
    if deploy is not None:
        data["deployed"] = {"plan": str(deploy), "signals": deployed}
    if json_:
        print_json(data)
        return
    out.print(json.dumps(data, indent=2))
