"""``its scenario``: list, build and draw scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api import services
from api.cli._common import err, out, print_json, target_scenario
from its.scenario import list_scenarios
from its.settings import get_settings
from its.units import clock

app = typer.Typer(help="List, build and draw scenarios.", no_args_is_help=True)


@app.command("list")
def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the scenarios under the scenarios folder."""
    scenarios = list_scenarios(get_settings())
    if json_:
        print_json(
            [
                {
                    "name": s.name,
                    "title": s.title,
                    "built": s.built,
                    "begin_s": s.begin,
                    "end_s": s.end,
                    "variants": sorted(s.variants),
                    "path": str(s.root),
                }
                for s in scenarios
            ]
        )
        return
    table = Table(title="Scenarios")
    for column in ("name", "title", "window", "built", "variants"):
        table.add_column(column)
    for s in scenarios:
        window = f"{clock(s.begin)}–{clock(s.end)}" if s.begin is not None and s.end is not None else "from .sumocfg"
        table.add_row(s.name, s.title, window, "yes" if s.built else "no", ", ".join(sorted(s.variants)))
    out.print(table)


@app.command()
def build(
    name: Annotated[str, typer.Argument(help="Scenario name or folder.")],
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the sources did not change.")] = False,
) -> None:
    """Build a scenario from its plain sources with netconvert, od2trips and duarouter."""
    scenario = target_scenario(name)
    with err.status(f"building {scenario.name}") as status:
        result = services.build_scenario(scenario, force=force, step=lambda s: status.update(f"building {scenario.name}: {s}"))
    if result.skipped:
        out.print(f"{scenario.name} is up to date: {result.sumocfg}")
        return
    buses = len(result.timetable.trips) if result.timetable else 0
    out.print(f"built {scenario.name}: {result.trips:,} vehicles routed, {buses} bus trips in the timetable")
    out.print(f"  SUMO configuration: {result.sumocfg}")
    if scenario.gtfs and result.timetable is not None:
        out.print(f"  GTFS feed: {scenario.gtfs}")


@app.command("map")
def map_(
    name: Annotated[str, typer.Argument(help="Scenario name, folder or .sumocfg.")],
    output: Annotated[Path, typer.Option("--out", help="PNG file to write.")] = Path("network.png"),
) -> None:
    """Draw the scenario's network (roads by speed limit, signals, loops, bus stops) as a PNG."""
    from its.network import read_network
    from simulation._sumocfg import read_sumocfg
    from simulation.plots import plot_network

    scenario = target_scenario(name)
    services.ensure_built(scenario)
    network = read_network(read_sumocfg(scenario.sumocfg).net)
    plot_network(network, output, title=scenario.title or scenario.name)
    out.print(f"wrote {output}")
