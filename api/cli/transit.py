"""``its transit``: schedule lines from a spec, re-block an existing feed, draw charts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api import services
from api.cli._common import err, out, print_json, progress_bar, target_scenario
from its.errors import InputError

app = typer.Typer(help="Transit scheduling: timetables, vehicle blocks and driver duties as GTFS.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise InputError(f"--date: {text!r} is not a date; use YYYYMMDD, e.g. 20180206") from None


def _depot(text: str) -> Any:
    from gtfs.reblock import DepotSite

    name, sep, rest = text.partition(":")
    parts = rest.split(",")
    try:
        if not sep or not name or len(parts) not in (2, 3):
            raise ValueError
        capacity = int(parts[2]) if len(parts) == 3 else None
        return DepotSite(name, float(parts[0]), float(parts[1]), capacity)
    except ValueError:
        raise InputError(f"--depot: {text!r} is not ID:LON,LAT[,CAPACITY], e.g. garage:-122.68,45.52,40") from None


@app.command()
def block(
    feed: Annotated[Path, typer.Argument(help="A GTFS zip or folder.")],
    day: Annotated[str, typer.Option("--date", help="Service day, YYYYMMDD.")],
    layover: Annotated[float, typer.Option("--layover", min=0, help="Minimum layover after each trip, minutes.")] = 0.0,
    max_layover: Annotated[float | None, typer.Option("--max-layover", min=0, help="Longest wait at a terminal, minutes (longer waits go to the depot).")] = None,
    deadheads: Annotated[bool, typer.Option("--deadheads/--no-deadheads", help="Allow driving empty between terminals.")] = True,
    max_deadhead: Annotated[float, typer.Option("--max-deadhead", min=0, help="Longest deadhead, minutes.")] = 60.0,
    speed: Annotated[float, typer.Option("--speed", min=1, help="Deadhead speed over straight-line distance x 1.3, km/h.")] = 25.0,
    interlining: Annotated[bool, typer.Option("--interlining/--no-interlining", help="Let a block serve several lines.")] = True,
    no_interline: Annotated[list[str] | None, typer.Option("--no-interline", help="A line (by name) whose blocks serve it alone (repeat).")] = None,
    max_block: Annotated[float | None, typer.Option("--max-block", min=0.1, help="Longest block, pull-out to pull-in, hours.")] = None,
    pullout_cost: Annotated[float | None, typer.Option("--pullout-cost", min=0, help="Price of a pull-out in platform hours (default: fewest pull-outs first).")] = None,
    vehicle_cost: Annotated[float | None, typer.Option("--vehicle-cost", min=0, help="Price of a vehicle in platform hours (default: fewest vehicles first).")] = None,
    depot: Annotated[list[str] | None, typer.Option("--depot", help="A garage ID:LON,LAT[,CAPACITY] (repeat); none: blocks start at their terminals.")] = None,
    as_agency: Annotated[bool, typer.Option("--as-agency", help="Rules at least as strict as the links inside the feed's own blocks.")] = False,
    pareto: Annotated[bool, typer.Option("--pareto", help="Also print the fleet / blocks / platform-hours trade-off.")] = False,
    duties: Annotated[bool, typer.Option("--duties/--no-duties", help="Cut driver duties from the new blocks (default rules).")] = True,
    duty_time: Annotated[float, typer.Option("--duty-time", min=1, help="Time limit for cutting duties, seconds.")] = 20.0,
    output: Annotated[Path | None, typer.Option("--out", help="Write the feed with the new block_id values (zip or folder).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Re-block an existing feed's trips on one date and compare with the agency's blocks.

    With --out, writes the feed with the new block_id values."""
    from gtfs.blocks import BlockingRules
    from gtfs.duties import DriverRules

    rules = BlockingRules(
        layover_min_s=layover * 60.0,
        layover_max_s=None if max_layover is None else max_layover * 60.0,
        deadheads=deadheads,
        max_deadhead_s=max_deadhead * 60.0,
        interlining=interlining,
        no_interlining=frozenset(no_interline or ()),
        max_block_s=None if max_block is None else max_block * 3600.0,
        pullout_cost_s=None if pullout_cost is None else pullout_cost * 3600.0,
        vehicle_cost_s=None if vehicle_cost is None else vehicle_cost * 3600.0,
    )
    with err.status(f"blocking {feed.name} on {day}"):
        summary = services.reblock_feed(
            feed,
            _day(day),
            rules,
            depots=[_depot(d) for d in depot or ()],
            speed_kmh=speed,
            as_agency=as_agency,
            pareto=pareto,
            driver_rules=DriverRules() if duties else None,
            duty_time_s=duty_time,
            out=output,
        )
    if json_:
        print_json(summary)
        return
    table = Table(title=f"{feed.name}, {day}: {summary['trips']} trips")
    table.add_column("")
    table.add_column("ours", justify="right")
    agency = "agency_fleet" in summary
    if agency:
        table.add_column("agency's blocks", justify="right")
    for key, label, fmt in (
        ("fleet", "fleet (most vehicles out at once)", "{:,}"),
        ("lower_bound", "lower bound", "{:,}"),
        ("blocks", "blocks (pull-outs)", "{:,}"),
        ("platform_hours", "platform hours", "{:,.2f}"),
        ("deadhead_hours", "deadhead hours", "{:,.2f}"),
        ("duties", "driver duties", "{:,}"),
    ):
        value = summary.get(key)
        row = [label, "–" if value is None else fmt.format(value)]
        if agency:
            other = summary.get(f"agency_{key}")
            row.append("" if other is None else fmt.format(other))
        table.add_row(*row)
    out.print(table)
    for problem in summary["violations"]:
        err.print(f"[yellow]warning:[/] {problem}")
    if pareto:
        trade = Table(title="trade-off (points no other beats on all three)")
        for column in ("pull-out price (h)", "fleet", "blocks", "platform hours", "deadhead hours"):
            trade.add_column(column, justify="right")
        for p in summary["pareto"]:
            price = "fewest first" if p["pullout_cost_h"] is None else f"{p['pullout_cost_h']:g}"
            trade.add_row(price, str(p["fleet"]), str(p["blocks"]), f"{p['platform_hours']:,.2f}", f"{p['deadhead_hours']:,.2f}")
        out.print(trade)
    if output is not None:
        out.print(f"wrote {summary['output']} ({summary['output_errors']} validation errors, new: {', '.join(summary['output_new_errors']) or 'none'})")


@app.command()
def schedule(
    spec: Annotated[Path, typer.Argument(help="The scheduling spec (TOML or JSON; see examples/county-transit.toml).")],
    output: Annotated[Path, typer.Option("--out", help="GTFS feed to write (zip, or a folder).")],
    from_run: Annotated[Path | None, typer.Option("--from-run", help="A run folder of `its simulate --out`: run times and deadhead speeds measured there.")] = None,
    duties: Annotated[bool, typer.Option("--duties/--no-duties", help="Cut driver duties.")] = True,
    time_limit: Annotated[float, typer.Option("--time-limit", min=1, help="Time limit per optimisation step, seconds.")] = 20.0,
    charts: Annotated[Path | None, typer.Option("--charts", help="Folder for the string-line and Gantt charts (PNG).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Make a timetable, vehicle blocks and driver duties from a spec and write them as GTFS."""
    with err.status(f"scheduling {spec.name}"):
        result, summary = services.schedule_spec(spec, out=output, run_dir=from_run, duties=duties, time_limit_s=time_limit)
        if charts is not None:
            summary["charts"] = [str(p) for p in services.schedule_charts(result, charts)]
    if json_:
        print_json(summary)
        return
    table = Table(title=f"{spec.name}: {summary['trips']} trips")
    table.add_column("")
    table.add_column("value", justify="right")
    for key, label in (
        ("fleet", "fleet (most vehicles out at once)"),
        ("lower_bound", "lower bound"),
        ("blocks", "blocks (pull-outs)"),
        ("platform_hours", "platform hours"),
        ("deadhead_hours", "deadhead hours"),
        ("duties", "driver duties"),
        ("duty_paid_hours", "paid duty hours"),
    ):
        value = summary.get(key)
        table.add_row(label, "–" if value is None else f"{value:,}")
    out.print(table)
    headways = Table(title="headways (min)")
    periods = sorted({k.split("/")[1] for k in summary["headways_min"]}, key=lambda p: list(summary["headways_min"]).index(next(k for k in summary["headways_min"] if k.endswith("/" + p))))
    headways.add_column("line")
    for period in periods:
        headways.add_column(period, justify="right")
    for line in sorted({k.split("/")[0] for k in summary["headways_min"]}):
        headways.add_row(line, *(f"{summary['headways_min'].get(f'{line}/{p}', ''):g}" if f"{line}/{p}" in summary["headways_min"] else "–" for p in periods))
    out.print(headways)
    out.print(f"wrote {summary['output']}: {summary['output_errors']} validation errors, reads back unchanged: {summary['round_trip']}")
    for path in summary.get("charts", []):
        out.print(f"wrote {path}")


@app.command()
def compare(
    target: Annotated[str, typer.Argument(help="Scenario name or folder (one with bus stops).")],
    feed: Annotated[Path, typer.Option("--feed", help="The timetable to run the buses to: a GTFS zip or folder (e.g. from `its transit schedule`).")],
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=100, help="Seeds per side.")] = 3,
    first_seed: Annotated[int, typer.Option("--first-seed", help="First seed (seeds are consecutive).")] = 1,
    output: Annotated[Path | None, typer.Option("--out", help="Folder for the runs and the comparison report.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Parallel runs (default: cores).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Run the scenario's buses to another timetable and compare with the baseline in SUMO.

    A schedule change is a what-if like any other."""
    from its.jobs import JobRunner
    from its.settings import get_settings
    from simulation._sumocfg import read_sumocfg
    from simulation.compare import compare as run_compare
    from simulation.config import RunConfig
    from simulation.report import comparison_json, write_comparison

    scenario = target_scenario(target)
    folder = output or Path(get_settings().runs_dir) / f"{scenario.name}-timetable-{datetime.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    with err.status(f"putting the buses of {feed.name} on {scenario.name}"):
        variant = services.timetable_variant(scenario, feed, folder)
    seed_list = list(range(first_seed, first_seed + seeds))
    span = (scenario.end - scenario.begin) if scenario.begin is not None and scenario.end is not None else None
    with progress_bar() as bar:
        tasks = [bar.add_task(f"{side} seed {s}", total=span) for side in ("baseline", "timetable") for s in seed_list]

        def report(index: int, sim_time: float) -> None:
            if scenario.begin is not None:
                bar.update(tasks[index], completed=sim_time - scenario.begin)

        with JobRunner.from_settings(get_settings(), workers=workers) as runner:
            comparison = run_compare(scenario, variant, seeds=seed_list, base=RunConfig(), runner=runner, out_dir=folder, progress=report)
    files = write_comparison(comparison, folder, net_file=read_sumocfg(scenario.sumocfg).net)
    if json_:
        print_json(comparison_json(comparison))
        return
    table = Table(title=f"{scenario.name}: baseline vs buses to {feed.name} ({seeds} seeds, 95% CI)")
    for column in ("KPI", "baseline", "timetable", "change", "p", "verdict"):
        table.add_column(column, justify="left" if column in ("KPI", "verdict") else "right")
    for row in comparison.rows:
        table.add_row(
            row.name,
            f"{row.baseline.mean:,.1f} ± {row.baseline.half_width:,.1f}",
            f"{row.variant.mean:,.1f} ± {row.variant.half_width:,.1f}",
            f"{row.change.delta:+,.1f}",
            "–" if row.change.p_value is None else f"{row.change.p_value:.3f}",
            row.verdict,
        )
    out.print(table)
    out.print("wrote " + ", ".join(str(p) for p in files.values()))
