"""``its simulate`` and ``its compare``: SUMO runs of a scenario and what-if comparisons."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api import services
from api.cli._common import built_scenario, out, parse_window, print_json, progress_bar
from api.cli._junctions import junction_chart, junction_markdown, junction_table
from its.errors import InputError
from its.jobs import JobRunner
from its.scenario import KpiSet, Scenario, resolve_variant
from its.settings import get_settings

VariantOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--variant",
        "-v",
        help="A declared variant name, or an ad hoc change KIND:key=value,... (repeat to combine).",
    ),
]
BeginOpt = Annotated[str | None, typer.Option("--begin", help="Start time, seconds or HH:MM (default: the scenario's).")]
EndOpt = Annotated[str | None, typer.Option("--end", help="End time, seconds or HH:MM (default: the scenario's).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for SUMO's outputs and reports.")]
EdgesOpt = Annotated[bool | None, typer.Option("--edges/--no-edges", help="Per-edge speed/flow/density series.")]
DetectorsOpt = Annotated[bool | None, typer.Option("--detectors/--no-detectors", help="Induction-loop output.")]
EmissionsOpt = Annotated[bool | None, typer.Option("--emissions/--no-emissions", help="CO2, NOx, PMx, fuel (about 1.4x slower).")]
SsmOpt = Annotated[bool | None, typer.Option("--ssm/--no-ssm", help="Conflicts with the SSM device (slower).")]
AllOpt = Annotated[bool, typer.Option("--all-kpis", help="Switch every KPI output on.")]
TeleportOpt = Annotated[float | None, typer.Option("--time-to-teleport", help="SUMO's jam teleport time, s (-1: never).")]

#: KPIs printed in the table of `its simulate` (the JSON has them all).
SHOWN = (
    ("vehicles_inserted", "vehicles inserted", "{:,.0f}"),
    ("vehicles_arrived", "vehicles arrived", "{:,.0f}"),
    ("vehicles_running", "still running at the end", "{:,.0f}"),
    ("vehicles_never_inserted", "never inserted", "{:,.0f}"),
    ("teleports", "teleports", "{:,.0f}"),
    ("mean_time_loss_s", "mean time loss (s)", "{:.1f}"),
    ("p95_time_loss_s", "95th pct time loss (s)", "{:.1f}"),
    ("mean_trip_duration_s", "mean trip duration (s)", "{:.1f}"),
    ("mean_waiting_time_s", "mean waiting time (s)", "{:.1f}"),
    ("mean_depart_delay_s", "mean depart delay (s)", "{:.1f}"),
    ("delay_s", "delay per vehicle, RESCO (s)", "{:.1f}"),
    ("throughput_veh_h", "throughput (veh/h)", "{:,.0f}"),
    ("mean_speed_kmh", "mean speed (km/h)", "{:.1f}"),
    ("co2_kg", "CO2 (kg)", "{:,.1f}"),
    ("nox_kg", "NOx (kg)", "{:.2f}"),
    ("conflicts", "conflicts (TTC < threshold)", "{:,.0f}"),
    ("wall_time_s", "wall time (s)", "{:.1f}"),
)


def _kpis(scenario: Scenario, edges: bool | None, detectors: bool | None, emissions: bool | None, ssm: bool | None, all_: bool) -> KpiSet:
    if all_:
        return scenario.kpis.with_(edges=True, detectors=True, emissions=True, ssm=True)
    return scenario.kpis.with_(edges=edges, detectors=detectors, emissions=emissions, ssm=ssm)


def register(app: typer.Typer) -> None:
    app.command()(simulate)
    app.command()(compare)


def simulate(
    target: Annotated[str, typer.Argument(help="Scenario name, scenario folder or .sumocfg file.")],
    variant: VariantOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="SUMO's random seed.")] = 42,
    begin: BeginOpt = None,
    end: EndOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object with every KPI.")] = False,
    out_dir: OutOpt = None,
    edges: EdgesOpt = None,
    detectors: DetectorsOpt = None,
    emissions: EmissionsOpt = None,
    ssm: SsmOpt = None,
    all_kpis: AllOpt = False,
    time_to_teleport: TeleportOpt = None,
) -> None:
    """Run a scenario (or a what-if variant of it) once in SUMO and report its KPIs."""
    from simulation.config import RunConfig
    from simulation.run import run

    window = parse_window(begin, end)
    scenario = built_scenario(target)
    scratch = Path(tempfile.mkdtemp(prefix="its-variant-"))
    config = RunConfig(
        seed=seed,
        begin=window[0],
        end=window[1],
        kpis=_kpis(scenario, edges, detectors, emissions, ssm, all_kpis),
        variant=services.materialize_timetables(scenario, resolve_variant(scenario, variant or []), out_dir or scratch),
        time_to_teleport=time_to_teleport,
    )
    with progress_bar() as bar:
        task = bar.add_task(f"{scenario.name} seed {seed}", total=None)

        def report(sim_time: float) -> None:
            if bar.tasks[0].total is None:
                b = config.begin if config.begin is not None else scenario.begin
                e = config.end if config.end is not None else scenario.end
                if b is not None and e is not None:
                    bar.update(task, total=e - b)
                    bar.update(task, completed=0)
                    bar.tasks[0].fields["begin"] = b
            start = bar.tasks[0].fields.get("begin", 0.0)
            bar.update(task, completed=sim_time - start)

        result = run(scenario, config, out_dir=out_dir, progress=report)
    if out_dir is not None:
        result.write_json(out_dir / "kpis.json")
    if json_:
        print_json(result.to_json())
        return
    table = Table(title=f"{scenario.name} — {result.variant}, seed {seed}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, label, fmt in SHOWN:
        value = result.kpis.get(key)
        table.add_row(label, "–" if value is None else fmt.format(value))
    out.print(table)
    if out_dir is not None:
        out.print(f"SUMO outputs and kpis.json in {out_dir}")


def compare(
    target: Annotated[str, typer.Argument(help="Scenario name, scenario folder or .sumocfg file.")],
    variant: VariantOpt = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=100, help="Seeds per side.")] = 5,
    first_seed: Annotated[int, typer.Option("--first-seed", help="First seed (seeds are consecutive).")] = 1,
    begin: BeginOpt = None,
    end: EndOpt = None,
    out_dir: OutOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    edges: EdgesOpt = None,
    emissions: EmissionsOpt = None,
    ssm: SsmOpt = None,
    all_kpis: AllOpt = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Parallel runs (default: cores).")] = None,
) -> None:
    """Compare a what-if variant with the baseline over several seeds, in parallel."""
    from simulation.compare import check_variant
    from simulation.compare import compare as run_compare
    from simulation.config import RunConfig
    from simulation.report import write_comparison

    window = parse_window(begin, end)
    scenario = built_scenario(target)
    chosen = resolve_variant(scenario, variant or [])
    if chosen is None:
        raise InputError("compare needs --variant: a declared variant name or an ad hoc change")
    folder = out_dir or Path(get_settings().runs_dir) / f"{scenario.name}-{_slug(chosen.name)}-{datetime.now():%Y%m%d-%H%M%S}"
    chosen = services.materialize_timetables(scenario, chosen, folder / "inputs")
    net = _net_of(scenario)
    network, stretches = _queue_stretches(net)
    base = RunConfig(
        begin=window[0],
        end=window[1],
        kpis=_kpis(scenario, edges, None, emissions, ssm, all_kpis),
        lane_areas=services.lane_areas(stretches),
    )
    seed_list = list(range(first_seed, first_seed + seeds))
    check_variant(scenario, chosen, base)  # before any run or progress bar
    b = window[0] if window[0] is not None else scenario.begin
    e = window[1] if window[1] is not None else scenario.end
    span = (e - b) if b is not None and e is not None else None
    with progress_bar() as bar:
        labels = [f"baseline seed {s}" for s in seed_list] + [f"{chosen.name[:24]} seed {s}" for s in seed_list]
        tasks = [bar.add_task(label, total=span) for label in labels]

        def report(index: int, sim_time: float) -> None:
            if b is not None:
                bar.update(tasks[index], completed=sim_time - b)

        with JobRunner.from_settings(get_settings(), workers=workers) as runner:
            comparison = run_compare(
                scenario, chosen, seeds=seed_list, base=base, runner=runner, out_dir=folder, progress=report, check=False
            )
    files = write_comparison(comparison, folder, net_file=net)
    junctions, chart = _junctions(scenario, comparison, network, stretches, folder)
    if junctions:
        files["junctions"] = folder / "junctions.json"
        files["junctions"].write_text(json.dumps(junctions, indent=2) + "\n", encoding="utf-8")
        with files["markdown"].open("a", encoding="utf-8") as report:
            report.write("\n" + junction_markdown(junctions, labels=("baseline", "variant")))
    if chart is not None:
        files["junctions_chart"] = chart
    if json_:
        from simulation.report import comparison_json

        print_json({**comparison_json(comparison), "junctions": junctions})
        return
    table = Table(title=f"{scenario.name}: baseline vs {chosen.name} ({seeds} seeds, 95% CI)")
    for column in ("KPI", "baseline", "variant", "change", "p", "verdict"):
        table.add_column(column, justify="left" if column in ("KPI", "verdict") else "right")
    for row in comparison.rows:
        rel = f" ({row.change.relative:+.1%})" if row.change.relative is not None else ""
        style = {"better": "green", "worse": "red"}.get(row.verdict, "")
        table.add_row(
            row.name,
            f"{row.baseline.mean:,.1f} ± {row.baseline.half_width:,.1f}",
            f"{row.variant.mean:,.1f} ± {row.variant.half_width:,.1f}",
            f"{row.change.delta:+,.1f}{rel}",
            "–" if row.change.p_value is None else f"{row.change.p_value:.3f}",
            f"[{style}]{row.verdict}[/]" if style else row.verdict,
        )
    out.print(table)
    junction_table(junctions, labels=("baseline", "variant"))
    out.print("wrote " + ", ".join(str(p) for p in files.values()))


def _queue_stretches(net: Path | None) -> tuple[Any, list[Any]]:
    """The network's signals and where their queues are measured (none without signals)."""
    from its.errors import PlanError
    from signals.model import read_signals
    from signals.performance import queue_stretches

    if net is None:
        return None, []
    try:
        network = read_signals(net)
    except PlanError:
        return None, []
    return network, queue_stretches(network) if network.signals else []


def _junctions(
    scenario: Scenario, comparison: Any, network: Any, stretches: list[Any], folder: Path
) -> tuple[list[dict[str, Any]], Path | None]:
    """Delay, queues and level of service per signalised junction, baseline against
    variant (``junctions.json``), and its chart (``junctions.png``); nothing where the
    network has no signals or the runs collected no edgeData (``--no-edges``)."""
    if network is None:
        return [], None
    rows = services.junction_comparison(
        network, comparison.baseline_runs, comparison.variant_runs, stretches=stretches
    )
    if not rows:
        return [], None
    try:
        chart = junction_chart(
            network,
            rows,
            folder / "junctions.png",
            labels=("baseline", comparison.variant.name[:40]),
            title=f"{scenario.name}: delay per junction, baseline vs {comparison.variant.name[:60]}",
        )
    except InputError:  # no junction with traffic on both sides: the table says so
        chart = None
    return rows, chart


def _net_of(scenario: Scenario) -> Path | None:
    from simulation._sumocfg import read_sumocfg

    return read_sumocfg(scenario.sumocfg).net


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:40]
