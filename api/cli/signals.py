"""``its signals``: signal plans from flows (Webster, coordination, simulation-in-the-loop
search, adaptive controllers) and their evaluation in SUMO over several seeds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api import services
from api.cli._common import err, out, parse_window, print_json, progress_bar, target_scenario
from api.cli._junctions import junction_chart, junction_table
from its.control import TimingPlan
from its.errors import InputError
from its.jobs import JobRunner
from its.settings import get_settings
from its.units import clock

app = typer.Typer(
    help="Signal timing: optimise plans from flows and evaluate them in SUMO.", no_args_is_help=True
)

TargetArg = Annotated[str, typer.Argument(help="Scenario name, scenario folder or .sumocfg file.")]
TlsOpt = Annotated[
    str | None,
    typer.Option("--tls", help="Traffic lights to time, comma-separated (default: all)."),
]
BeginOpt = Annotated[
    str | None, typer.Option("--begin", help="Start of the window, seconds or HH:MM.")
]
EndOpt = Annotated[str | None, typer.Option("--end", help="End of the window, seconds or HH:MM.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
YellowOpt = Annotated[float, typer.Option("--yellow", min=2.0, help="Yellow time, s.")]
AllRedOpt = Annotated[
    str,
    typer.Option(
        "--all-red",
        help="All-red time after each yellow, s; 'auto' (or 'auto:S' for at least S s): for each "
        "change what the junction's intergreen matrix asks (RiLSA's t_r - t_e for every "
        "conflicting pair of movements, from its geometry), for large junctions.",
    ),
]
MinGreenOpt = Annotated[float, typer.Option("--min-green", min=3.0, help="Shortest green, s.")]
WalkOpt = Annotated[
    float,
    typer.Option(
        "--walking-speed",
        min=0.5,
        max=2.0,
        help="Walking speed pedestrian clearances are timed for, m/s (HCM, RiLSA 1.2; MUTCD 1.07).",
    ),
]
MinWalkOpt = Annotated[
    float | None,
    typer.Option(
        "--min-walk",
        min=3.0,
        help="Shortest walk a pedestrian crossing shows, s (default: the minimum green; MUTCD 7, or 4 where few walk).",
    ),
]
LeadingWalkOpt = Annotated[
    float,
    typer.Option(
        "--leading-walk",
        min=0.0,
        help="Fixed-time plans show a walk this long before the vehicles of its stage crossing its path go, s "
        "(a leading pedestrian interval; 0: none).",
    ),
]
LateWalkOpt = Annotated[
    bool,
    typer.Option(
        "--late-walk/--no-late-walk",
        help="Fixed-time plans start a walk once the last vehicle crossing its path is past (RiLSA); "
        "--no-late-walk starts it with its stage's green (common US practice).",
    ),
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, help="Parallel SUMO runs (default: cores).")
]

MeasureOpt = Annotated[
    bool,
    typer.Option(
        "--measure-saturation",
        help="Measure each movement's saturation flow in SUMO instead of the handbook's 1,800 veh/h with turn factors.",
    ),
]

METHODS = services.PLAN_METHODS + services.ADAPTIVE_METHODS


SplitOpt = Annotated[
    bool,
    typer.Option(
        "--split-phases/--no-split-phases",
        help="Let the adaptive controller also serve split phases (one approach with all its "
        "turns protected); --no-split-phases keeps it to the shipped greens, for field "
        "controllers that can show only their programmed stages.",
    ),
]


SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="An option of the adaptive controller, KEY=VALUE (repeatable), e.g. --set "
        "headway_s=1.9; a list as 0/5/10. `its signals tune` finds values for your network.",
    ),
]


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    """``KEY=VALUE`` items as a mapping; an item without ``=`` or a key given twice is an error."""
    pairs: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise InputError(f"{flag} {item!r}: expected KEY=VALUE")
        if key in pairs:
            raise InputError(f"{flag}: option {key} given twice")
        pairs[key] = value
    return pairs


def _options(controller: str, items: list[str] | None) -> dict[str, Any]:
    from signals.controllers import parse_options

    return parse_options(controller, _pairs(items, "--set"))


def _tls(value: str | None) -> list[str] | None:
    return [t.strip() for t in value.split(",") if t.strip()] if value else None


def _timing(
    yellow: float,
    all_red: str,
    min_green: float,
    walking_speed: float = 1.2,
    min_walk: float | None = None,
    late_walk: bool = True,
    leading_walk: float = 0.0,
) -> Any:
    from signals.phases import Timing

    text = all_red.strip().lower()
    auto = text == "auto" or text.startswith("auto:")
    number = text[len("auto:") :] if text.startswith("auto:") else "0" if auto else text
    try:
        seconds = float(number)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0.0:  # (also NaN)
        raise InputError(f"--all-red {all_red!r}: expected seconds (0 or more), 'auto' or 'auto:SECONDS'")
    return Timing(
        yellow_s=yellow,
        all_red_s=seconds,
        min_green_s=min_green,
        all_red_auto=auto,
        walking_speed_ms=walking_speed,
        min_walk_s=min_walk,
        late_walks=late_walk,
        leading_walk_s=leading_walk,
    )


def _window(
    target: str, tls: str | None, begin: str | None, end: str | None
) -> services.SignalWindow:
    b, e = parse_window(begin, end)
    scenario = target_scenario(target)
    if scenario.build is not None:
        with err.status(f"checking {scenario.name} is built"):
            services.ensure_built(scenario)
    return services.signal_window(scenario, tls=_tls(tls), begin=b, end=e)


@app.command()
def optimize(
    target: TargetArg,
    method: Annotated[
        str, typer.Option("--method", "-m", help=f"One of: {', '.join(METHODS)}.")
    ] = "webster",
    tls: TlsOpt = None,
    begin: BeginOpt = None,
    end: EndOpt = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Plan file to write (a SUMO additional file).")
    ] = None,
    json_: JsonOpt = False,
    counts: Annotated[
        Path | None,
        typer.Option(
            "--counts",
            help="Detector counts (CSV: lane or detector, flow_veh_h or vehicles+begin+end).",
        ),
    ] = None,
    live_days: Annotated[
        float | None,
        typer.Option(
            "--live-days",
            min=0.01,
            help="Flows from the live store's detector readings over the last DAYS days.",
        ),
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds", min=1, max=20, help="Training seeds of the search (method optimize)."
        ),
    ] = 2,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, max=50, help="Rounds of the search (method optimize).")
    ] = 4,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Time-of-day plans, one per period (webster and coordinate from each period's flows, "
            "the adaptive methods from their run), e.g. 15min, 900 or 1h.",
        ),
    ] = None,
    measure_saturation: MeasureOpt = False,
    yellow: YellowOpt = 3.0,
    all_red: AllRedOpt = "0",
    min_green: MinGreenOpt = 5.0,
    walking_speed: WalkOpt = 1.2,
    min_walk: MinWalkOpt = None,
    late_walk: LateWalkOpt = True,
    leading_walk: LeadingWalkOpt = 0.0,
    max_walk_cycle: Annotated[
        float | None,
        typer.Option(
            "--max-walk-cycle",
            min=30.0,
            help="Longest cycle Webster and derived plans choose at a junction with pedestrian "
            "crossings, where one that short fits, s (default: no cap below the longest cycle).",
        ),
    ] = None,
    workers: WorkersOpt = None,
    split_phases: SplitOpt = True,
    settings: SetOpt = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="With --method optimize: the plans the search starts from, a plan file (the plans in "
            "the field, or one another method wrote) or 'shipped' for the network's own programs "
            "(default: coordinate's plans).",
        ),
    ] = None,
) -> None:
    """Time the signals by one method; write the plan, timing sheets and a time-space diagram.

    The plan is a SUMO additional file with its own programID; beside it go the timing sheets
    (Markdown and CSV), the intergreen matrix and a time-space diagram of the longest corridor."""
    from its.units import parse_duration

    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    _require_counts(counts)
    if counts is not None and live_days is not None:
        raise InputError("give either --counts or --live-days, not both")
    if method != "lookahead" and not split_phases:
        raise InputError(f"--no-split-phases applies to method lookahead; {method} uses only the shipped greens")
    if measure_saturation and method in services.ADAPTIVE_METHODS:
        raise InputError(
            f"--measure-saturation sizes fixed plans; method {method} derives its plan from the simulation"
        )
    if settings and method not in services.ADAPTIVE_METHODS:
        raise InputError(
            f"--set tunes an adaptive method ({', '.join(services.ADAPTIVE_METHODS)}); {method} has no controller options"
        )
    if start is not None and method != "optimize":
        raise InputError(f"--start gives the search its starting plans; method {method} does not search")
    if start is not None and period:
        raise InputError("--start and --period: the search makes one plan per signal, not time-of-day plans")
    options = _options(method, settings) if settings else {}
    window = _window(target, tls, begin, end)
    start_plans = None if start is None else services.start_plans(window, start)
    timing = _timing(yellow, all_red, min_green, walking_speed, min_walk, late_walk, leading_walk)
    if max_walk_cycle is not None:
        timing = replace(timing, max_walk_cycle_s=max_walk_cycle)
    if period:
        services.require_periodic(method)
    period_s = parse_duration(period, field="--period") if period else None
    if period_s is not None and not 0 < period_s < window.end - window.begin:
        raise InputError(
            f"--period {period} is {period_s / 60:g} min, not shorter than the window "
            f"({(window.end - window.begin) / 60:g} min): one plan would cover it all (for minutes write e.g. 30min)"
        )
    flows = None
    saturation = None
    if method not in services.ADAPTIVE_METHODS:
        with err.status("reading the flows"):
            flows = services.signal_flows(window, counts=counts, live_days=live_days)
        if measure_saturation:
            saturation = _measured(window, flows)
    with progress_bar() as bar, JobRunner.from_settings(get_settings(), workers=workers) as runner:
        task = bar.add_task(f"{method}: {window.scenario.name}", total=1.0)
        outcome = services.signal_plans(
            window,
            method,
            timing=timing,
            counts=counts,
            seeds=tuple(range(1, seeds + 1)),
            rounds=rounds,
            runner=runner,
            period_s=period_s,
            progress=lambda _, share: bar.update(task, completed=share),
            flows=flows,
            saturation=saturation,
            split_phases=split_phases,
            options=options,
            live_days=live_days,
            start=start_plans,
        )
        bar.update(task, completed=1.0)
    path = out_file or Path(get_settings().runs_dir) / f"{window.scenario.name}-{method}.add.xml"
    band = _band(window, outcome)
    files = _write_outputs(window, method, outcome, path, timing, band)
    if json_:
        print_json(
            {
                "scenario": window.scenario.name,
                "method": method,
                "window_s": [window.begin, window.end],
                "flows_source": outcome.flows_source,
                "flows_detail": outcome.flows_detail,
                "saturation_flows": (
                    None if flows is None else "measured in SUMO" if saturation else "handbook"
                ),
                "plans": [_plan_json(p) for p in outcome.plans],
                "walk_waits": _walk_json(_walk_waits(window, outcome.plans)),
                "schedules": {
                    tls: [{"from_s": at, "program_id": program} for at, program in switches]
                    for tls, switches in outcome.schedules
                },
                "report": outcome.report,
                "corridor_band": _band_json(band),
                "files": files,
            }
        )
        return
    from signals.phases import green_stages

    table = Table(
        title=f"{window.scenario.name}: {method} (flows from {outcome.flows_source}: {outcome.flows_detail})"
    )
    starts = {(tls, program): at for tls, switches in outcome.schedules for at, program in switches}
    # Webster's own figures for each plan: the critical flow ratio, the highest degree of
    # saturation of a lane and the delay the model expects, with its level of service
    sized = {} if starts or method != "webster" else {j["tls_id"]: j for j in outcome.report.get("junctions", [])}
    model = ("Y", "X", "model delay (s)") if sized else ()
    # walkers' mean wait at the junction's worst crossing, where any planned signal has one
    walks = _walk_waits(window, outcome.plans)
    walk = ("walk wait (s)",) if any(walks.values()) else ()
    columns = ("signal", "program", *(("from",) if starts else ()), "cycle (s)", "offset (s)", "greens (s)", *model, *walk)
    for column in columns:
        # an id folds rather than ends in "…": it can be copied into --tls
        table.add_column(
            column,
            justify="left" if column in ("signal", "program", "from") else "right",
            overflow="fold" if column == "signal" else "ellipsis",
        )
    for plan in outcome.plans:
        greens = " / ".join(f"{stage.green_s:g}" for stage in green_stages(plan))
        since = (clock(starts[plan.tls_id, plan.program_id])[:5],) if starts else ()
        figures = _sizing_cells(sized.get(plan.tls_id)) if sized else ()
        waits = (_walk_cell(walks[plan.tls_id, plan.program_id]),) if walk else ()
        table.add_row(
            plan.tls_id, plan.program_id, *since, f"{plan.cycle_s:g}", f"{plan.offset:g}", greens, *figures, *waits
        )
    out.print(table)
    search = outcome.report.get("search")
    if search:
        verdict = (
            "kept"
            if search["accepted"]
            else "not better on held-out seeds: the starting plans are kept"
        )
        origin = outcome.report.get("start", "coordinate's plans")
        out.print(
            f"search from {origin}: {search['simulations']} simulations; held-out delay "
            f"{search['start_held_out_delay_s']:.1f} s -> {search['best_held_out_delay_s']:.1f} s ({verdict})"
        )
    if "derived_from" in outcome.report:
        out.print(f"fixed-time plan derived from the {outcome.report['derived_from']}")
    if band is not None:
        reverse = "" if band.reverse_s is None else f", {band.reverse_s:g} s reverse"
        on_green = "" if band.reverse_on_green is None else f", {band.reverse_on_green:.0%} reverse"
        out.print(
            f"through band along {' → '.join(band.signals)}: {band.forward_s:g} s of a "
            f"{band.cycle_s:g} s cycle forward{reverse}; link by link, of the vehicles leaving on green "
            f"{band.forward_on_green:.0%} arrive on green forward{on_green}"
        )
    out.print("wrote " + ", ".join(files.values()))


def _band(window: services.SignalWindow, outcome: services.PlanOutcome) -> Any:
    """The through band (:class:`signals.diagram.Band`) of the longest corridor under one
    plan per signal; None for time-of-day plans, or without two consecutive signals planned."""
    from signals.diagram import bandwidth

    if outcome.schedules or len(outcome.plans) < 2:
        return None
    try:
        return bandwidth(outcome.plans, window.network)
    except InputError:
        return None


def _band_json(band: Any) -> dict[str, Any] | None:
    if band is None:
        return None
    return {
        "signals": list(band.signals),
        "cycle_s": band.cycle_s,
        "forward_s": band.forward_s,
        "reverse_s": band.reverse_s,
        "forward_share": band.share(band.forward_s),
        "reverse_share": band.share(band.reverse_s),
        "forward_on_green": band.forward_on_green,
        "reverse_on_green": band.reverse_on_green,
    }


def _require_counts(counts: Path | None) -> None:
    if counts is not None and not counts.is_file():
        raise InputError(f"counts file {counts} does not exist")


def _measured(window: services.SignalWindow, flows: Any) -> Any:
    """Saturation flows measured in SUMO for the window's movements, with a progress bar."""
    with progress_bar() as bar:
        task = bar.add_task("measuring saturation flows in SUMO", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return services.signal_saturation(window, flows, progress=report)


@app.command()
def capacity(
    target: TargetArg,
    tls: TlsOpt = None,
    begin: BeginOpt = None,
    end: EndOpt = None,
    json_: JsonOpt = False,
    counts: Annotated[
        Path | None,
        typer.Option("--counts", help="Detector counts (CSV, as for optimize)."),
    ] = None,
    handbook: Annotated[
        bool,
        typer.Option(
            "--handbook",
            help="Use the handbook's saturation flows (1,800 veh/h, turn factors) instead of measuring them in SUMO.",
        ),
    ] = False,
    yellow: YellowOpt = 3.0,
    all_red: AllRedOpt = "0",
    min_green: MinGreenOpt = 5.0,
    walking_speed: WalkOpt = 1.2,
    min_walk: MinWalkOpt = None,
    late_walk: LateWalkOpt = True,
    leading_walk: LeadingWalkOpt = 0.0,
) -> None:
    """How much green each signal needs for its flows, against what it can serve.

    The critical flow ratio (share of the window the critical lanes need as green), against
    what a longest cycle can serve after its lost time. Saturation flows are measured in SUMO
    for this network and demand unless --handbook is given."""
    _require_counts(counts)
    window = _window(target, tls, begin, end)
    timing = _timing(yellow, all_red, min_green, walking_speed, min_walk, late_walk, leading_walk)
    with err.status("reading the flows"):
        flows = services.signal_flows(window, counts=counts)
    saturation = None if handbook else _measured(window, flows)
    rows = services.signal_capacity(window, flows, timing=timing, saturation=saturation)
    source = "handbook (1,800 veh/h per lane, turn factors)" if handbook else "measured in SUMO"
    if json_:
        print_json(
            {
                "scenario": window.scenario.name,
                "window_s": [window.begin, window.end],
                "flows_source": flows.source,
                "flows_detail": flows.detail,
                "saturation_flows": source,
                "measured_saturation_veh_h": [
                    {"from_lane": a, "to_lane": b, "veh_h": round(v, 1)}
                    for (a, b), v in sorted((saturation.measured if saturation else {}).items())
                ],
                "signals": rows,
            }
        )
        return
    table = Table(
        title=f"{window.scenario.name}: capacity over {window.begin:g}-{window.end:g} s "
        f"(flows from {flows.source}; saturation flows {source})",
        caption="Y: share of the window the critical lanes need as green; max Y: what the "
        "longest cycle serves after its lost time; most served: the most of the vehicles "
        "crossing the signal in the window that any timing of its stages can pass.",
    )
    for column in (
        "signal",
        "flow (veh/h)",
        "Y",
        "green needed (s)",
        "lost / cycle (s)",
        "max Y",
        "vehicles",
        "most served",
        "verdict",
    ):
        table.add_column(
            column,
            justify="left" if column in ("signal", "verdict") else "right",
            overflow="fold" if column == "signal" else "ellipsis",
        )
    for row in sorted(rows, key=lambda r: -r["flow_ratio"]):
        table.add_row(
            row["tls_id"],
            f"{row['flow_veh_h']:,.0f}",
            f"{row['flow_ratio']:.2f}",
            f"{row['green_needed_s']:,.0f}",
            _fmt(row.get("lost_time_s")),
            f"{row['max_serviceable_ratio']:.2f}" if "max_serviceable_ratio" in row else "–",
            f"{row['vehicles']:,.0f}" if "vehicles" in row else "–",
            f"{row['most_served_veh']:,.0f}" if "most_served_veh" in row else "–",
            row["verdict"],
        )
    out.print(table)


def _write_outputs(
    window: services.SignalWindow, method: str, outcome: services.PlanOutcome, path: Path, timing: Any, band: Any
) -> dict[str, str]:
    """Write the plan, its timing sheets, the signal plan chart and the time-space diagram;
    everything is rendered first, so a failure leaves no half-written set of files."""
    import os

    from signals.diagram import signal_plan_chart, time_of_day_chart, time_space
    from signals.plans import switch_guard, write_plans
    from signals.sheets import intergreens_csv, schedule_markdown, sheet_csv, sheet_markdown

    stem = path.name.removesuffix(".xml").removesuffix(".add")
    signals = window.network.signals
    sheets = "\n".join(sheet_markdown(p, signals[p.tls_id]) for p in outcome.plans)
    markdown = f"# Timing sheets: {window.scenario.name}, method {method}\n\n{schedule_markdown(outcome.schedules)}{sheets}"
    table = sheet_csv(outcome.plans)
    matrix = intergreens_csv(signals[p.tls_id] for p in outcome.plans)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture: Path | None = None
    if not outcome.schedules and len(outcome.plans) > 1:
        name = path.with_name(f".{stem}.{os.getpid()}.png")  # not mkstemp: its 0600 would stay
        try:
            picture = time_space(
                outcome.plans, window.network, Path(name), title=f"{window.scenario.name}: {method}", band=band
            )
        except InputError:
            Path(name).unlink(missing_ok=True)  # no two consecutive signals: nothing to draw
    groups = path.with_name(f".{stem}.{os.getpid()}.groups.png")
    try:
        signal_plan_chart(outcome.plans, window.network, groups, title=f"{window.scenario.name}: {method}, signal plans")
    except BaseException:
        groups.unlink(missing_ok=True)
        if picture is not None:
            picture.unlink(missing_ok=True)
        raise
    comment = f"its signals optimize --method {method}; flows from {outcome.flows_source} ({outcome.flows_detail})"
    files = {
        "plan": str(
            write_plans(
                outcome.plans,
                path,
                comment=comment,
                schedules=outcome.schedules,
                intergreens={p.tls_id: switch_guard(signals[p.tls_id], timing) for p in outcome.plans},
            )
        )
    }
    sheet_md, sheet_table, intergreens = (
        path.with_name(f"{stem}.timing.md"),
        path.with_name(f"{stem}.timing.csv"),
        path.with_name(f"{stem}.intergreens.csv"),
    )
    sheet_md.write_text(markdown, encoding="utf-8")
    sheet_table.write_text(table, encoding="utf-8")
    intergreens.write_text(matrix, encoding="utf-8")
    files.update(timing_sheet=str(sheet_md), timing_csv=str(sheet_table), intergreens_csv=str(intergreens))
    if picture is not None:
        final = path.with_name(f"{stem}.timespace.png")
        os.replace(picture, final)
        files["time_space"] = str(final)
    final = path.with_name(f"{stem}.signalplans.png")
    os.replace(groups, final)
    files["signal_plans"] = str(final)
    if outcome.schedules:
        chart = path.with_name(f".{stem}.{os.getpid()}.tod.png")
        try:
            time_of_day_chart(
                outcome.plans,
                outcome.schedules,
                chart,
                end=window.end,
                title=f"{window.scenario.name}: {method}, time of day (cycle and greens, s)",
            )
            final = path.with_name(f"{stem}.timeofday.png")
            os.replace(chart, final)
            files["time_of_day"] = str(final)
        finally:
            chart.unlink(missing_ok=True)
    return files


def _plan_json(plan: TimingPlan) -> dict[str, Any]:
    return {
        "tls_id": plan.tls_id,
        "program_id": plan.program_id,
        "type": plan.type,
        "cycle_s": plan.cycle_s,
        "offset_s": plan.offset,
        "phases": [
            {
                "state": p.state,
                "duration_s": p.duration,
                "min_s": p.min_dur,
                "max_s": p.max_dur,
                "name": p.name,
            }
            for p in plan.phases
        ],
    }


@app.command()
def evaluate(
    target: TargetArg,
    plan: Annotated[
        Path | None, typer.Option("--plan", help="A plan file (SUMO additional with tlLogic).")
    ] = None,
    controller: Annotated[
        str | None,
        typer.Option(
            "--controller",
            help="An adaptive controller: lookahead, actuated, max-pressure, greedy.",
        ),
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=100, help="Seeds per side.")] = 5,
    first_seed: Annotated[
        int, typer.Option("--first-seed", help="First seed (seeds are consecutive).")
    ] = 1,
    tls: TlsOpt = None,
    begin: BeginOpt = None,
    end: EndOpt = None,
    json_: JsonOpt = False,
    yellow: YellowOpt = 3.0,
    all_red: AllRedOpt = "0",
    min_green: MinGreenOpt = 5.0,
    walking_speed: WalkOpt = 1.2,
    min_walk: MinWalkOpt = None,
    late_walk: LateWalkOpt = True,
    leading_walk: LeadingWalkOpt = 0.0,
    teleport: Annotated[
        float, typer.Option("--time-to-teleport", help="SUMO's jam teleport time, s (-1: never).")
    ] = -1,
    workers: WorkersOpt = None,
    split_phases: SplitOpt = True,
    settings: SetOpt = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help="Also draw each junction's delay before and after, on the map and ranked, into this PNG.",
        ),
    ] = None,
) -> None:
    """Compare the shipped programs with a plan or an adaptive controller over several seeds.

    By default the controller is our best, lookahead; delay is measured the benchmark's way,
    and per junction as the time lost on its approaches (with HCM's level of service)."""
    from signals.controllers import BEST

    if plan is not None and controller is not None:
        raise InputError("give either --plan or --controller, not both")
    if plan is not None and not split_phases:
        raise InputError("--no-split-phases applies to a controller; a plan file has its own phases")
    if controller not in (None, "lookahead") and not split_phases:
        raise InputError(f"--no-split-phases applies to lookahead; {controller} serves only the shipped greens anyway")
    if plan is not None and settings:
        raise InputError("--set applies to a controller; a plan file has its own timings")
    if chart is not None and chart.suffix.lower() != ".png":
        raise InputError(f"--chart {chart}: the chart is a PNG; name the file *.png")
    options = _options(controller or BEST, settings)
    window = _window(target, tls, begin, end)
    timing = _timing(yellow, all_red, min_green, walking_speed, min_walk, late_walk, leading_walk)
    services.check_evaluation(window, plans_file=plan, controller=controller, timing=timing, options=options)
    seed_list = list(range(first_seed, first_seed + seeds))
    with progress_bar() as bar, JobRunner.from_settings(get_settings(), workers=workers) as runner:
        task = bar.add_task(f"{window.scenario.name}: {2 * seeds} runs", total=2 * seeds)
        report = services.evaluate_signals(
            window,
            plans_file=plan,
            controller=controller,
            seeds=seed_list,
            timing=timing,
            teleport=teleport,
            runner=runner,
            on_done=lambda _i, _r: bar.advance(task),
            split_phases=split_phases,
            options=options,
        )
    if chart is not None:
        try:
            report["files"] = {
                "chart": str(
                    junction_chart(
                        window.network,
                        report["junctions"],
                        chart,
                        labels=("shipped", report["result"]["label"]),
                        title=f"{window.scenario.name}: delay per junction, "
                        f"{report['baseline']['label']} vs {report['result']['label']}",
                    )
                )
            }
        except InputError as error:  # nothing to draw: the comparison still stands
            report["files"] = {"chart": None, "note": str(error)}
    if json_:
        print_json(report)
        return
    base, result = report["baseline"], report["result"]
    table = Table(
        title=f"{window.scenario.name}: {base['label']} vs {result['label']} ({seeds} seeds)"
    )
    for column in ("KPI", "baseline", "result", "change", "95% CI of the difference", "sig."):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    persons = [k for k in services.PERSON_KPIS if base.get(k) is not None or result.get(k) is not None]
    for key in (*services.SIGNAL_KPIS, *persons):
        change = report["change"].get(key, {})
        relative, interval, significant = change.get("relative"), change.get("ci95"), change.get("significant")
        table.add_row(
            key,
            _fmt(base.get(key)),
            _fmt(result.get(key)),
            "–" if relative is None else f"{relative:+.1%}",
            "–" if interval is None else f"{_fmt(interval[0])}, {_fmt(interval[1])}",
            "–" if significant is None else "yes" if significant else "no",
        )
    out.print(table)
    if seeds > 1:
        out.print(
            "(95% CI: of result minus baseline, in the KPI's units; sig.: the change tested seed by seed, "
            "both sides on the same seeds, paired t-test at 5%; identical changes on every seed count as exact)"
        )
    junction_table(report["junctions"])
    if chart is not None:
        out.print(f"chart: {report['files']['chart'] or 'none, ' + report['files']['note']}")


def _walk_waits(window: services.SignalWindow, plans: Sequence[TimingPlan]) -> dict[tuple[str, str], dict[int, float]]:
    """Per plan (signal, program): each signalised crossing's walkers' mean wait, seconds
    (empty for an actuated plan, whose waits depend on the calls, or no crossing)."""
    from signals.performance import walk_waits

    return {
        (p.tls_id, p.program_id): walk_waits(p, window.network.signals[p.tls_id]) for p in plans
    }


def _walk_json(walks: Mapping[tuple[str, str], Mapping[int, float]]) -> list[dict[str, Any]]:
    """Each fixed plan's crossings' mean waits, the worst and its level of service (null
    for a crossing never walked)."""
    from signals.performance import WALK_LOS_BOUNDS, level_of_service

    def seconds(wait: float) -> float | None:
        return wait if math.isfinite(wait) else None

    return [
        {
            "tls_id": tls,
            "program_id": program,
            "crossings": {str(k): seconds(wait) for k, wait in waits.items()},
            "worst_s": seconds(max(waits.values())),
            "los": level_of_service(max(waits.values()), WALK_LOS_BOUNDS),
        }
        for (tls, program), waits in walks.items()
        if waits
    ]


def _walk_cell(waits: Mapping[int, float]) -> str:
    from signals.performance import WALK_LOS_BOUNDS, level_of_service

    if not waits:
        return "–"
    worst = max(waits.values())
    return "never" if not math.isfinite(worst) else f"{worst:.0f} ({level_of_service(worst, WALK_LOS_BOUNDS)})"


def _sizing_cells(sizing: dict[str, Any] | None) -> tuple[str, str, str]:
    from signals.performance import level_of_service

    if sizing is None:
        return ("–", "–", "–")
    delay = sizing["estimated_delay_s"]
    return (
        f"{sizing['flow_ratio']:.2f}",
        f"{sizing['degree_of_saturation']:.2f}",
        "–" if delay is None or not math.isfinite(delay) else f"{delay:.1f} ({level_of_service(delay)})",
    )


@app.command()
def tune(
    target: TargetArg,
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            help="An option and the values to try, KEY=V1,V2,... (repeatable; every "
            "combination runs, at most 64), e.g. --vary headway_s=1.7,1.9,2.1.",
        ),
    ],
    controller: Annotated[
        str, typer.Option("--controller", help="The adaptive controller to tune.")
    ] = "lookahead",
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, max=50, help="Training seeds (1, 2, ...).")
    ] = 3,
    held_out: Annotated[
        int,
        typer.Option("--held-out", min=1, max=50, help="Held-out seeds (101, 102, ...)."),
    ] = 3,
    first_held_out: Annotated[
        int,
        typer.Option(
            "--first-held-out",
            min=1,
            help="First held-out seed; keep the seeds of a later check out of the tuning.",
        ),
    ] = 101,
    tls: TlsOpt = None,
    begin: BeginOpt = None,
    end: EndOpt = None,
    json_: JsonOpt = False,
    yellow: YellowOpt = 3.0,
    all_red: AllRedOpt = "0",
    min_green: MinGreenOpt = 5.0,
    walking_speed: WalkOpt = 1.2,
    min_walk: MinWalkOpt = None,
    late_walk: LateWalkOpt = True,
    leading_walk: LeadingWalkOpt = 0.0,
    workers: WorkersOpt = None,
    split_phases: SplitOpt = True,
    per_person: Annotated[
        bool,
        typer.Option(
            "--per-person",
            help="Compare the delay of everyone, walkers included (1.3 people a car), not vehicles' alone.",
        ),
    ] = False,
) -> None:
    """Tune an adaptive controller's options for this network, checked on held-out seeds.

    Every combination of the --vary values and the defaults runs on the training seeds, then
    the best against the defaults on held-out seeds; the defaults stay unless the best wins
    there too. Prints the budget (simulations run) and the evaluate command with the chosen
    --set options."""
    from signals.controllers import parse_options
    from signals.search import check_grid

    grid: dict[str, list[Any]] = {}
    for key, values in _pairs(vary, "--vary").items():
        texts = [v for v in values.split(",") if v.strip()]
        grid[key] = list(dict.fromkeys(parse_options(controller, {key: v})[key] for v in texts))
    check_grid(grid)
    window = _window(target, tls, begin, end)
    timing = _timing(yellow, all_red, min_green, walking_speed, min_walk, late_walk, leading_walk)
    train = list(range(1, seeds + 1))
    test = list(range(first_held_out, first_held_out + held_out))
    if set(train) & set(test):
        raise InputError(
            f"held-out seeds {test[0]}-{test[-1]} overlap the training seeds 1-{seeds}: give a --first-held-out above {seeds}"
        )
    with progress_bar() as bar, JobRunner.from_settings(get_settings(), workers=workers) as runner:
        task = bar.add_task(f"tuning {controller}: {window.scenario.name}", total=None)
        report = services.tune_controller(
            window,
            controller,
            grid,
            seeds=train,
            held_out=test,
            timing=timing,
            runner=runner,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            split_phases=split_phases,
            per_person=per_person,
        )
    if json_:
        print_json(report)
        return
    table = Table(
        title=f"{window.scenario.name}: {controller} on training seeds {train[0]}-{train[-1]}, best first"
        + (" (delay per person, walkers included)" if per_person else "")
    )
    for column in ("options", "delay (s)", "per seed (s)"):
        table.add_column(column, justify="left" if column == "options" else "right")
    for row in report["candidates"]:
        label = " ".join(f"{k}={v}" for k, v in row["options"].items()) or "defaults"
        table.add_row(
            label,
            _fmt(row["train_delay_s"]),
            " ".join(_fmt(v) for v in row["per_seed_delay_s"]),
        )
    out.print(table)
    held = f"held-out seeds {test[0]}-{test[-1]}"
    if report["accepted"]:
        gain = report["held_out_default_delay_s"] - report["held_out_best_delay_s"]
        spread = report["held_out_gain_se_s"]
        within = gain <= spread
        out.print(
            f"{held}: {report['held_out_best_delay_s']:.2f} s against {report['held_out_default_delay_s']:.2f} s "
            f"with the defaults (gain {gain:.2f} s, standard error {spread:.2f} s"
            + (": within the seed-to-seed spread, more seeds would tell)" if within else ")")
            + f": kept. Run it with: {report['command'].replace('TARGET', target)}"
        )
    elif report["options"] or report["candidates"][0]["options"]:
        out.print(
            f"{held}: {report['held_out_best_delay_s']:.2f} s against {report['held_out_default_delay_s']:.2f} s "
            "with the defaults: not better, the defaults stay."
        )
    else:
        out.print(f"the defaults were best on the training seeds ({held}: {report['held_out_default_delay_s']:.2f} s).")
    out.print(f"budget: {report['simulations']} simulations")


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"
