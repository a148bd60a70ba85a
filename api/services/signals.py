"""Signal-timing workflows: a scenario's signals and window, flows from detectors or demand,
plans from each method, and evaluations of plans and controllers over seeds in SUMO.

Composition of signals (plans, methods, controllers) with simulation (runs over seeds): the
search gets the simulation as a plain ``evaluate`` callable.
"""

from __future__ import annotations

import contextlib
import functools
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from its.control import TimingPlan
from its.errors import FeedError, InfeasibleError, InputError, PlanError, ScenarioError
from its.jobs import JobRunner
from its.kpi import difference
from its.scenario import Scenario
from its.settings import get_settings
from signals.flows import Flows
from signals.model import Signal, SignalNetwork
from signals.phases import Timing

if TYPE_CHECKING:
    from signals.performance import QueueStretch
    from signals.webster import Saturation

__all__ = [
    "PlanOutcome",
    "SignalWindow",
    "check_evaluation",
    "evaluate_signals",
    "junction_comparison",
    "lane_areas",
    "plan_switch",
    "routed_demand",
    "signal_capacity",
    "signal_flows",
    "signal_plans",
    "signal_saturation",
    "signal_window",
    "start_plans",
    "tune_controller",
]

#: KPIs compared by ``its signals evaluate`` (means over seeds).
SIGNAL_KPIS = (
    "delay_s",
    "mean_time_loss_s",
    "mean_trip_duration_s",
    "mean_waiting_time_s",
    "vehicles_arrived",
    "vehicles_running",
    "vehicles_never_inserted",
    "teleports",
)

#: Pedestrian KPIs also compared when the scenario has persons (None otherwise).
PERSON_KPIS = ("persons_arrived", "mean_person_time_loss_s", "mean_person_waiting_time_s")

#: Methods of ``its signals optimize``: fixed-time plans, SUMO's own actuated programs, and the
#: adaptive controllers (whose output is the fixed-time plan derived from their run).
PLAN_METHODS = ("webster", "coordinate", "optimize", "actuated")
ADAPTIVE_METHODS = ("lookahead", "max-pressure", "greedy")


@dataclass(frozen=True)
class SignalWindow:
    """A scenario's signals as the optimiser sees them: network, window, the signals chosen."""

    scenario: Scenario
    network: SignalNetwork
    begin: float
    end: float
    tls_ids: tuple[str, ...]


@dataclass(frozen=True)
class PlanOutcome:
    """Plans from one method, with where the flows came from and what the method found."""

    method: str
    plans: tuple[TimingPlan, ...]
    flows_source: str
    flows_detail: str
    report: dict[str, Any]
    schedules: tuple[tuple[str, tuple[tuple[float, str], ...]], ...] = ()


def signal_window(
    scenario: Scenario,
    *,
    tls: Sequence[str] | None = None,
    begin: float | None = None,
    end: float | None = None,
) -> SignalWindow:
    """The scenario's signal network and window, with ``tls`` checked (all signals by default).

    Raises
    ------
    PlanError
        If the network has no traffic lights or a named junction is unknown or not signalised.
    """
    from signals.model import read_signals
    from simulation._sumocfg import read_sumocfg

    if not scenario.built:
        raise ScenarioError(
            f"scenario {scenario.name!r} is not built yet; run: its scenario build {scenario.name}"
        )
    cfg = read_sumocfg(scenario.sumocfg)
    network = read_signals(cfg.net, cfg.additionals)
    chosen = network.select(list(tls or []))
    b = next(v for v in (begin, scenario.begin, cfg.begin, 0.0) if v is not None)
    e = next((v for v in (end, scenario.end, cfg.end) if v is not None), None)
    if e is None:
        e = b + 3600.0
    if e <= b:
        raise InputError(f"end time {e:g} s is not after begin time {b:g} s")
    return SignalWindow(scenario, network, float(b), float(e), tuple(s.tls_id for s in chosen))


def routed_demand(scenario: Scenario, folder: Path) -> list[Path]:
    """The scenario's route files, with ``<trip>`` demand routed by duarouter into ``folder``."""
    from signals._routes import count_movements
    from simulation._sumocfg import demand_files, read_sumocfg
    from simulation._tools import run_tool

    cfg = read_sumocfg(scenario.sumocfg)
    routes = demand_files(cfg)
    if not routes:
        return []
    if count_movements(routes, begin=float("-inf"), end=float("inf")).unrouted == 0:
        return routes
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "routed.rou.xml"
    args = [
        "--net-file",
        str(cfg.net),
        "--route-files",
        ",".join(str(p) for p in routes),
        "--output-file",
        str(out),
    ]
    others = [p for p in cfg.additionals if p not in routes]  # the rest: types, stops
    if others:
        args += ["--additional-files", ",".join(str(p) for p in others)]
    for option in ("xml-validation", "xml-validation.net", "xml-validation.routes"):
        if option in cfg.options:  # route the files as the scenario's SUMO reads them
            args += [f"--{option}", cfg.options[option]]
    run_tool(
        "duarouter",
        [*args, "--ignore-errors", "--no-step-log", "--no-warnings", "--write-costs", "false"],
    )
    (folder / "routed.rou.alt.xml").unlink(missing_ok=True)
    return [out]


def signal_flows(
    window: SignalWindow,
    *,
    counts: Path | None = None,
    live_days: float | None = None,
    routes: Sequence[Path] | None = None,
) -> Flows:
    """Flows at the signals, from the best source there is.

    Detector counts when given: a CSV with ``lane`` or ``detector`` and ``flow_veh_h`` or
    ``vehicles`` (``counts``), or the detector readings in the live store over the last
    ``live_days`` days at the window's time of day (``live_days``). Else the scenario's
    demand. The demand's turning movements split a lane's count over its links either way.
    ``routes`` (from :func:`routed_demand`) saves routing the demand again for each of
    several windows.

    Raises
    ------
    InputError
        If there is no demand and no counts, or the counts cannot be read or name lanes
        the network does not have, or the store has no readings of the scenario's loops.
    """
    from signals.flows import demand_flows, from_lane_counts

    with tempfile.TemporaryDirectory(prefix="its-flows-") as tmp:
        if routes is None:
            routes = routed_demand(window.scenario, Path(tmp))
        demand = (
            demand_flows(window.network, routes, begin=window.begin, end=window.end)
            if routes
            else None
        )
    if counts is not None:
        lane_flows = _read_counts(counts, window)
        detail = f"{len(lane_flows)} lanes counted in {counts.name}"
    elif live_days is not None:
        lane_flows, detail = _live_counts(window, live_days)
    else:
        if demand is None:
            raise InputError(
                f"scenario {window.scenario.name!r} has no demand (vehicles in its route or additional files) and no counts were given"
            )
        return demand
    return from_lane_counts(
        window.network, lane_flows, window=(window.begin, window.end), turning=demand, detail=detail
    )


def signal_saturation(
    window: SignalWindow, flows: Flows, *, progress: Callable[[int, int], None] | None = None
) -> Saturation:
    """Webster's saturation settings with every movement that carries traffic at the window's
    signals measured in SUMO (see :mod:`signals.saturation`), for the demand's own vehicles."""
    from signals.saturation import measure, vehicle_type
    from signals.webster import Saturation
    from simulation._sumocfg import demand_files, read_sumocfg
    from simulation._tools import run_tool

    network = window.network
    movements = [
        (network.signals[t], link)
        for t in window.tls_ids
        for link in network.signals[t].links
        if flows.of(t) and flows.of(t)[link.index] > 0
    ]
    routes = demand_files(read_sumocfg(window.scenario.sumocfg))
    lengths = {lane: geom.length for lane, geom in network.lanes.items()}
    measured = measure(
        network.net_path,
        movements,
        vehicle_type(routes),
        lengths,
        lambda args: run_tool("sumo", args),
        progress=progress,
    )
    return Saturation(measured=measured)


def signal_capacity(
    window: SignalWindow,
    flows: Flows,
    *,
    timing: Timing | None = None,
    saturation: Saturation | None = None,
) -> list[dict[str, Any]]:
    """How much of the window each signal needs as green for its flows, with the handbook's
    saturation flows or ``saturation`` (from :func:`signal_saturation`).

    Per signal: the critical flow ratio ``Y`` (the share of time the critical lanes need as
    green, no time lost to changes), the green that means over the window, the lost time per
    cycle of Webster's plan, the highest ``Y`` a cycle of ``timing.max_cycle_s`` can serve
    (``1 - L / C``), and a verdict: *oversaturated* (``Y >= 1``: more demand than the window
    has time), *beyond practical capacity* (no cycle within bounds serves it after its lost
    time), *near capacity* (within 15 % of that), else *undersaturated*. Signals without
    traffic are listed with ``Y`` 0. Beside it, the vehicles crossing the signal in the
    window and the most any timing can pass of them (``most_served_veh``: its programs'
    greens and the split phases an adaptive controller may add, green for at most the
    share a longest cycle leaves after its lost time, see :func:`signals.webster.most_served`).
    """
    from signals.phases import split_greens
    from signals.webster import Saturation, most_served, size

    timing = timing or Timing()
    saturation = saturation or Saturation()
    span = window.end - window.begin
    rows: list[dict[str, Any]] = []
    for tls_id in window.tls_ids:
        signal = window.network.signals[tls_id]
        link_flows = flows.of(tls_id)
        total = float(sum(link_flows)) if link_flows else 0.0
        row: dict[str, Any] = {"tls_id": tls_id, "flow_veh_h": total}
        if total <= 0:
            rows.append({**row, "flow_ratio": 0.0, "green_needed_s": 0.0, "verdict": "no traffic"})
            continue
        sizing = size(signal, link_flows, timing, saturation=saturation)
        usable = max(0.0, 1.0 - sizing.lost_s / timing.max_cycle_s)
        ratio = sizing.flow_ratio
        verdict = (
            "oversaturated"
            if ratio >= 1.0
            else "beyond practical capacity"
            if ratio >= usable
            else "near capacity"
            if ratio >= 0.85 * usable
            else "undersaturated"
        )
        stages = [p.state for p in signal.green_phases()] + list(split_greens(signal))
        hours = span / 3600.0
        bound = most_served(signal, link_flows, usable, stages=stages, saturation=saturation)
        rows.append(
            {
                **row,
                "vehicles": total * hours,
                "most_served_veh": min(total, bound) * hours,
                "flow_ratio": ratio,
                "green_needed_s": ratio * span,
                "lost_time_s": sizing.lost_s,
                "max_serviceable_ratio": usable,
                "verdict": verdict,
                "critical_stages": list(sizing.stages),
            }
        )
    return rows


def _live_counts(window: SignalWindow, days: float) -> tuple[dict[str, float], str]:
    """Mean flow per lane of the scenario's loops in the store, over the last ``days`` days,
    from readings whose local time of day falls in the window."""
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from api.services.live import detector_lanes, open_store

    if days <= 0:
        raise InputError(f"--live-days must be positive, got {days:g}")
    lane_of = detector_lanes(window.scenario)
    if not lane_of:
        raise InputError(
            f"scenario {window.scenario.name!r} has no induction loops to match live readings to"
        )
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    with open_store(settings) as store:
        latest = store.latest_reading_time() or time.time()
        readings = store.readings(
            since=latest - days * 86400.0, until=latest + 1.0, kind="detector"
        )
    sums: dict[str, list[float]] = {}
    for reading in readings:
        lane = lane_of.get(reading.sensor)
        if lane is None or reading.flow_veh_h is None:
            continue
        local = datetime.fromtimestamp(reading.time, zone)
        second = local.hour * 3600 + local.minute * 60 + local.second
        if window.begin <= second < window.end or window.begin <= second + 86400 < window.end:
            sums.setdefault(lane, []).append(float(reading.flow_veh_h))
    if not sums:
        raise InputError(
            f"the store has no detector readings of the loops of {window.scenario.name!r} between "
            f"{window.begin:g} s and {window.end:g} s of the day in the last {days:g} days"
        )
    flows = {lane: sum(values) / len(values) for lane, values in sums.items()}
    n = sum(len(v) for v in sums.values())
    return flows, f"{len(flows)} lanes from {n} live detector readings over the last {days:g} days"


def _read_counts(path: Path, window: SignalWindow) -> dict[str, float]:
    """Mean flow per lane (veh/h) of a counts CSV in the window.

    A row names a ``lane`` (or a ``detector`` of the scenario) and gives ``flow_veh_h`` or
    ``vehicles``. With ``begin`` and ``end`` (seconds or HH:MM[:SS] of the day), or a
    ``time`` (ISO 8601 or Unix seconds, read in the configured time zone, as the detector
    feeds take it) with ``interval_s`` (default 300), only the rows overlapping the window's
    time of day count, each for the share of its interval inside it (a day of 15-minute
    counts times any hour of it; several days' average); ``vehicles`` needs times.

    Raises
    ------
    InputError
        If the file cannot be read, lacks the columns, has a value that is not a number or
        time (naming its row), names lanes the network does not have, or counts nothing in
        the window.
    """
    import csv

    import pandas as pd

    from api.services.live import detector_lanes
    from its.units import clock

    try:
        table = pd.read_csv(path, sep=None, engine="python", dtype=str, skipinitialspace=True)
    except (OSError, ValueError, csv.Error) as error:  # csv.Error: no delimiter (an empty file)
        raise InputError(f"{path}: cannot read the counts: {error}") from None
    if table.empty:
        raise InputError(f"{path}: holds no counts (a header and no rows)")
    if "lane" not in table.columns:
        if "detector" not in table.columns:
            raise InputError(f"{path}: the counts need a 'lane' or a 'detector' column")
        lanes_of = detector_lanes(window.scenario)
        table["lane"] = [lanes_of.get(str(d), str(d).removeprefix("det_")) for d in table["detector"]]
    value = "flow_veh_h" if "flow_veh_h" in table.columns else "vehicles"
    spans = {"begin", "end"} <= set(table.columns)
    stamped = not spans and "time" in table.columns
    timed = spans or stamped
    if value not in table.columns or (value == "vehicles" and not timed):
        raise InputError(
            f"{path}: the counts need a 'flow_veh_h' column, or 'vehicles' with 'begin' and 'end' (or 'time')"
        )
    zone = ZoneInfo(get_settings().timezone)
    rows: list[tuple[str, float, float]] = []  # lane, vehicles or flow, seconds in the window
    first, last = math.inf, -math.inf
    for number, row in enumerate(table.itertuples(index=False), start=2):  # line 1: the header
        where = f"{path}: line {number}"
        record = row._asdict()
        try:
            amount = float(record[value])
        except (TypeError, ValueError):
            amount = math.nan
        if not math.isfinite(amount) or amount < 0:
            raise InputError(f"{where}: {value} must be a number >= 0, not {record[value]!r}")
        if timed:
            begin, end = _count_span(record, where, stamped=stamped, zone=zone)
            first, last = min(first, begin), max(last, end)
            if stamped and end <= window.begin:  # a window past midnight
                begin, end = begin + 86400.0, end + 86400.0
            inside = min(end, window.end) - max(begin, window.begin)
            if inside <= 0:
                continue
            share = inside / (end - begin)
            if value == "vehicles":
                amount *= share  # the vehicles of the part inside, spread evenly
            rows.append((str(record["lane"]).strip(), amount, inside))
        else:
            rows.append((str(record["lane"]).strip(), amount, 1.0))
    if not rows:
        span = f" (they cover {clock(first)} to {clock(last)})" if timed and first < last else ""
        raise InputError(
            f"{path}: no counts between {clock(window.begin)} and {clock(window.end)}{span}; "
            "choose the window with --begin and --end"
        )
    unknown = sorted({lane for lane, _, _ in rows} - set(window.network.lanes))
    if unknown:
        raise InputError(f"{path}: lane(s) not in the network: {', '.join(unknown[:5])}")
    amounts: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for lane, amount, inside in rows:
        # flows weigh by the time each covers; vehicles add up over the time counted
        amounts[lane] = amounts.get(lane, 0.0) + (amount * inside if value == "flow_veh_h" else amount)
        seconds[lane] = seconds.get(lane, 0.0) + inside
    scale = 1.0 if value == "flow_veh_h" else 3600.0
    return {lane: amounts[lane] / seconds[lane] * scale for lane in amounts}


def _count_span(record: Mapping[str, Any], where: str, *, stamped: bool, zone: ZoneInfo) -> tuple[float, float]:
    """When a counts row counted, in seconds of the day: its ``begin`` and ``end``, or its
    ``time`` (local time of day) and ``interval_s``."""
    from its.feeds.readings import parse_timestamp
    from its.units import parse_time

    if not stamped:
        begin = parse_time(str(record["begin"]), field=f"{where}: begin")
        end = parse_time(str(record["end"]), field=f"{where}: end")
        if end <= begin:
            raise InputError(f"{where}: end {record['end']} is not after begin {record['begin']}")
        return begin, end
    try:
        local = datetime.fromtimestamp(parse_timestamp(str(record["time"]), tz=zone), zone)
    except FeedError as error:
        raise InputError(f"{where}: time {error}") from None
    text = record.get("interval_s")
    try:
        interval = 300.0 if text is None or str(text).strip() in ("", "nan") else float(text)
    except ValueError:
        interval = math.nan
    if not 0 < interval <= 86400:
        raise InputError(f"{where}: interval_s must be seconds between 0 and 86400, not {text!r}")
    begin = local.hour * 3600.0 + local.minute * 60.0 + local.second
    return begin, begin + interval


def signal_plans(
    window: SignalWindow,
    method: str,
    *,
    timing: Timing | None = None,
    counts: Path | None = None,
    seeds: Sequence[int] = (1, 2),
    held_out: Sequence[int] = (101, 102, 103),
    rounds: int = 4,
    runner: JobRunner | None = None,
    period_s: float | None = None,
    progress: Callable[[str, float], None] | None = None,
    flows: Flows | None = None,
    saturation: Saturation | None = None,
    split_phases: bool = True,
    options: Mapping[str, Any] | None = None,
    live_days: float | None = None,
    start: tuple[tuple[TimingPlan, ...], str] | None = None,
) -> PlanOutcome:
    """Plans for the window's signals by ``method`` (see ``PLAN_METHODS`` and
    ``ADAPTIVE_METHODS``), checked safe before they are returned; with ``period_s``, one
    plan per period and signal with the schedule switching them. ``flows`` (from
    :func:`signal_flows`) saves reading the demand again; ``saturation`` (from
    :func:`signal_saturation`) replaces the handbook saturation flows of the sizing;
    ``split_phases=False`` keeps an adaptive method's derived plan to the shipped stages;
    ``options`` tune an adaptive method's controller (see :func:`signals.controllers.parse_options`);
    ``start`` (from :func:`start_plans`) is where ``optimize``'s search starts instead of
    coordinate's plans.

    Raises
    ------
    InputError
        On an unknown method, options for a method that is not adaptive or that it does not
        have, or no flows at a named junction.
    """
    from signals.check import require_safe

    timing = timing or Timing()
    if method not in PLAN_METHODS + ADAPTIVE_METHODS:
        known = ", ".join(PLAN_METHODS + ADAPTIVE_METHODS)
        raise InputError(f"unknown method {method!r}; known: {known}")
    if options and method not in ADAPTIVE_METHODS:
        raise InputError(f"controller options apply to the adaptive methods ({', '.join(ADAPTIVE_METHODS)}), not {method}")
    if method in ADAPTIVE_METHODS:
        return _derived_plans(
            window,
            method,
            timing,
            seed=seeds[0],
            period_s=period_s,
            progress=progress,
            split_phases=split_phases,
            options=options or {},
        )
    if period_s:
        return _periodic_plans(
            window,
            method,
            timing,
            period_s=period_s,
            counts=counts,
            live_days=live_days,
            saturation=saturation,
            progress=progress,
        )
    if start is not None and method != "optimize":
        raise InputError(f"starting plans are for the search (method optimize), not {method}")
    flows = flows or signal_flows(window, counts=counts, live_days=live_days)
    if start is not None:
        plans, report = start[0], {"start": start[1]}
    else:
        plans, report = _fixed_plans(
            window,
            method,
            flows,
            timing,
            saturation=saturation,
            explicit=len(window.tls_ids) < len(window.network.signals),
        )
    if method == "optimize":
        result = _search(
            window,
            plans,
            timing,
            seeds=seeds,
            held_out=held_out,
            rounds=rounds,
            runner=runner,
            progress=progress,
        )
        plans = tuple(replace(p, program_id="its-optimized") for p in result.plans)
        report["search"] = {
            "train_seeds": list(seeds),
            "held_out_seeds": list(held_out),
            "start_train_delay_s": result.start_train,
            "best_train_delay_s": result.best_train,
            "start_held_out_delay_s": result.start_test,
            "best_held_out_delay_s": result.best_test,
            "accepted": result.accepted,
            "simulations": result.evaluations,
            "history": result.history,
        }
    skipped = sorted(set(window.tls_ids) - {p.tls_id for p in plans})
    if skipped:
        report["kept_as_shipped"] = skipped
    require_safe(plans, window.network, timing)
    return PlanOutcome(method, tuple(plans), flows.source, flows.detail, report)


def start_plans(window: SignalWindow, start: str) -> tuple[tuple[TimingPlan, ...], str]:
    """The plans a search starts from, with where they came from: the window's signals'
    programs as shipped (``"shipped"``), or those of a plan file, each checked safe under
    the plan checker's bounds; a signal the file has no plan for starts from its shipped
    program.

    Raises
    ------
    PlanError
        If the file does not match the network, holds several programs for one signal (a
        time-of-day file), or a plan is unsafe.
    """
    from signals.check import require_safe
    from signals.plans import network_plans, read_plans, with_program_id

    shipped = network_plans(window.network, window.tls_ids)
    if start.strip().lower() == "shipped":
        plans, source = shipped, "the programs as shipped"
    else:
        path = Path(start)
        read = read_plans(path, window.network)
        several = sorted(tls for tls, programs in Counter(p.tls_id for p in read).items() if programs > 1)
        if several:
            raise PlanError(
                f"{path}: several programs for {several[0]} (a time-of-day file?): the search starts from one plan per signal"
            )
        given = {p.tls_id: p for p in read}
        if not set(window.tls_ids) & set(given):
            raise PlanError(f"{path} has no plan for any of the signals to optimise ({', '.join(window.tls_ids[:5])})")
        plans = tuple(given.get(p.tls_id, p) for p in shipped)
        covered = sum(p.tls_id in given for p in shipped)
        rest = "" if covered == len(shipped) else f" ({covered} of {len(shipped)} signals, the rest as shipped)"
        source = f"{path.name}{rest}"
    require_safe(plans, window.network, Timing())
    # a program of its own: SUMO refuses a second program under the id the network loads
    return with_program_id(plans, "its-start"), source


def _fixed_plans(
    window: SignalWindow,
    method: str,
    flows: Flows,
    timing: Timing,
    *,
    saturation: Saturation | None,
    explicit: bool,
) -> tuple[tuple[TimingPlan, ...], dict[str, Any]]:
    """Webster's plans (``webster``, and as SUMO actuated programs ``actuated``) or
    coordinated ones (``coordinate`` and the start of ``optimize``) for the window's signals;
    unless ``explicit``, signals without flows keep their programs."""
    from signals.coordinate import coordinated
    from signals.plans import as_actuated
    from signals.webster import Saturation, webster

    signals = [window.network.signals[t] for t in window.tls_ids]
    report: dict[str, Any] = {}
    if method == "webster" or method == "actuated":
        plans, sizings = webster(
            signals, flows, timing, skip_empty=not explicit, saturation=saturation or Saturation()
        )
        report["junctions"] = [_sizing_json(z) for z in sizings]
        if method == "actuated":
            plans = tuple(
                as_actuated(
                    p,
                    min_green_s=timing.min_green_s,
                    max_green_s=2 * max(p.duration for p in p.phases),
                )
                for p in plans
            )
    else:
        used = [s.tls_id for s in signals if explicit or flows.total(s.tls_id) > 0]
        if not used:
            raise InputError(
                f"no flows at any signal between {window.begin:g} and {window.end:g} s ({flows.source})"
            )
        plans, groups = coordinated(
            window.network, used, flows, timing, program_id="its-coordinated", saturation=saturation
        )
        report["groups"] = groups
    return tuple(plans), report


#: Methods whose plans ``--period`` makes one per period from that period's flows.
PERIODIC_METHODS = ("webster", "coordinate")


def require_periodic(method: str) -> None:
    """Raise :class:`InputError` unless ``method`` makes time-of-day plans."""
    if method not in PERIODIC_METHODS + ADAPTIVE_METHODS:
        raise InputError(
            f"--period makes time-of-day plans with {', '.join(PERIODIC_METHODS + ADAPTIVE_METHODS)}, not {method}"
            + (": search one period at a time with --begin and --end" if method == "optimize" else "")
        )


def _periodic_plans(
    window: SignalWindow,
    method: str,
    timing: Timing,
    *,
    period_s: float,
    counts: Path | None,
    live_days: float | None,
    saturation: Saturation | None,
    progress: Callable[[str, float], None] | None,
) -> PlanOutcome:
    """Time-of-day plans: ``method``'s plans for each period of ``period_s`` from that
    period's flows (counts or the demand in it), each signal switching to its next plan at
    the start of the period. A signal with no flows in a period keeps the plan before.

    Raises
    ------
    InputError
        If ``method`` makes no time-of-day plans or a signal has flows in no period.
    """
    from signals.check import require_safe
    from signals.plans import switch_guard, switchable

    require_periodic(method)
    starts = [window.begin]
    while starts[-1] + period_s < window.end - 1e-9:
        starts.append(starts[-1] + period_s)
    plans: dict[str, list[TimingPlan]] = {tls: [] for tls in window.tls_ids}
    switches: dict[str, list[tuple[float, str]]] = {tls: [] for tls in window.tls_ids}
    periods = []
    sources: list[str] = []
    with tempfile.TemporaryDirectory(prefix="its-periods-") as tmp:
        routes = routed_demand(window.scenario, Path(tmp))  # once, for every period
        for k, start in enumerate(starts, 1):
            part = replace(window, begin=start, end=min(window.end, start + period_s))
            try:
                flows = signal_flows(part, counts=counts, live_days=live_days, routes=routes)
                made, report = _fixed_plans(part, method, flows, timing, saturation=saturation, explicit=False)
            except InputError as error:  # nothing counted or departing in this period
                periods.append({"begin_s": part.begin, "end_s": part.end, "plans": 0, "note": str(error)})
                continue
            program = f"its-{method}-{k}"
            restaged, kept = [], []
            for plan in made:
                plan = replace(plan, program_id=program)
                before = plans[plan.tls_id]
                guard = switch_guard(window.network.signals[plan.tls_id], timing)
                if before and not switchable([*before, plan], guard):
                    # no green of the new plan shows what one of the plan before does: the
                    # signal could not switch without cutting a green short; its stages then
                    # stay those of the plan before, timed for this period's flows
                    plan = _restaged(
                        window.network.signals[plan.tls_id],
                        plan,
                        before[-1],
                        flows,
                        timing,
                        saturation,
                        keep_cycle=method == "coordinate",
                    )
                    if plan is None or not switchable([*before, plan], guard):
                        kept.append(before[-1].tls_id)
                        continue
                    restaged.append(plan.tls_id)
                before.append(plan)
                switches[plan.tls_id].append((part.begin, program))
            periods.append(
                {
                    "begin_s": part.begin,
                    "end_s": part.end,
                    "plans": len(made) - len(kept),
                    "flows_detail": flows.detail,
                    **report,
                    **({"stages_of_the_plan_before": restaged} if restaged else {}),
                    **({"plan_before_kept": kept} if kept else {}),
                }
            )
            sources.append(flows.source)
            if progress is not None:
                progress(method, k / len(starts))
    empty = [tls for tls, made in switches.items() if not made]
    if empty and (len(window.tls_ids) < len(window.network.signals) or len(empty) == len(switches)):
        raise InputError(
            f"no flows for junction {empty[0]} in any period between {window.begin:g} and {window.end:g} s"
        )
    every = [plan for made in plans.values() for plan in made]
    require_safe(every, window.network, timing)
    schedules = tuple((tls, tuple(made)) for tls, made in switches.items() if made)
    report = {"periods": periods}
    if empty:
        report["kept_as_shipped"] = sorted(empty)
    source = sources[0] if len(set(sources)) == 1 else " and ".join(dict.fromkeys(sources))
    detail = f"{len(starts)} periods of {period_s / 60:g} min, each from its own flows"
    return PlanOutcome(method, tuple(every), source, detail, report, schedules)


def _restaged(
    signal: Signal,
    plan: TimingPlan,
    before: TimingPlan,
    flows: Flows,
    timing: Timing,
    saturation: Saturation | None,
    *,
    keep_cycle: bool,
) -> TimingPlan | None:
    """``plan`` sized again on the stages of ``before``, keeping its offset and, with
    ``keep_cycle``, its cycle (a coordinated plan keeps its place in its group); None when
    those stages cannot serve the flows."""
    from signals.phases import green_stages
    from signals.webster import Saturation, webster

    stages = list(dict.fromkeys(s.state for s in green_stages(before)))
    try:
        (made,), _ = webster(
            [signal],
            flows,
            timing,
            saturation=saturation or Saturation(),
            program_id=plan.program_id,
            cycle_s=plan.cycle_s if keep_cycle else None,
            stages={signal.tls_id: stages},
        )
    except (InputError, InfeasibleError):
        return None
    return replace(made, offset=plan.offset % made.cycle_s if made.cycle_s > 0 else 0.0)


def _sizing_json(sizing: Any) -> dict[str, Any]:
    return {
        "tls_id": sizing.tls_id,
        "flow_ratio": sizing.flow_ratio,
        "lost_time_s": sizing.lost_s,
        "webster_formula_cycle_s": sizing.webster_cycle_s,
        "cycle_s": sizing.cycle_s,
        "greens_s": list(sizing.greens_s),
        "stages": list(sizing.stages),
        "degree_of_saturation": sizing.saturation,
        "estimated_delay_s": sizing.delay_s,
    }


def _runs(
    window: SignalWindow,
    configs: Sequence[Any],
    *,
    runner: JobRunner | None,
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    from simulation.run import run

    def one(config: Any) -> Any:
        return run(window.scenario, config)

    if runner is None:
        with JobRunner.from_settings(get_settings()) as own:
            return own.map(one, configs, on_done=on_done)
    return runner.map(one, configs, on_done=on_done)


def _config(
    window: SignalWindow,
    seed: int,
    *,
    plans_file: Path | None = None,
    controller: Any = None,
    teleport: float | None = -1,
    junctions: bool = False,
    lane_areas: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> Any:
    """One run of the window; with ``junctions``, SUMO's edgeData over the whole window too
    (the time lost per edge, for the delay per junction), and the ``lane_areas`` detectors
    (the queues)."""
    from simulation.config import RunConfig

    return RunConfig(
        seed=seed,
        begin=window.begin,
        end=window.end,
        kpis=window.scenario.kpis.with_(
            edges=junctions, detectors=False, edge_period_s=window.end - window.begin if junctions else None
        ),
        controllers=(controller,) if controller is not None else (),
        additional_files=(plans_file,) if plans_file is not None else (),
        time_to_teleport=teleport,
        label=f"{window.scenario.name}/seed {seed}",
        lane_areas=lane_areas,
    )


def _search(
    window: SignalWindow,
    start: tuple[TimingPlan, ...],
    timing: Timing,
    *,
    seeds: Sequence[int],
    held_out: Sequence[int],
    rounds: int,
    runner: JobRunner | None,
    progress: Callable[[str, float], None] | None,
) -> Any:
    from signals.plans import write_plans
    from signals.search import search

    workers = runner.workers if runner is not None else get_settings().jobs_workers
    with tempfile.TemporaryDirectory(prefix="its-search-") as tmp:
        counter = iter(range(1_000_000))

        def evaluate(jobs: Sequence[tuple[tuple[TimingPlan, ...], int]]) -> list[float]:
            configs = []
            for plans, seed in jobs:
                path = write_plans(plans, Path(tmp) / f"candidate-{next(counter)}.add.xml")
                configs.append(_config(window, seed, plans_file=path))
            results = _runs(window, configs, runner=runner)
            return [_delay(r) for r in results]

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress("search", done / total)

        return search(
            start,
            evaluate,
            window.network,
            train_seeds=seeds,
            test_seeds=held_out,
            rounds=rounds,
            per_round=max(2, workers),
            timing=timing,
            progress=report,
        )


#: People in a car, for delay counted per person (walkers one each).
PERSONS_PER_VEHICLE = 1.3


def _delay(result: Any) -> float:
    value = result.kpis.get("delay_s")
    return float(value) if value is not None else float("inf")


def _person_delay(result: Any) -> float:
    """The delay of everyone, walking or driving: the vehicles' benchmark delay at
    :data:`PERSONS_PER_VEHICLE` people each, and the walkers' time loss, averaged per
    person (the vehicles' delay alone where nobody walks)."""
    kpis = result.kpis
    vehicles = sum(float(kpis.get(k) or 0.0) for k in ("vehicles_arrived", "vehicles_running", "vehicles_never_inserted"))
    walkers = float(kpis.get("persons_arrived") or 0.0)
    loss = kpis.get("mean_person_time_loss_s")
    drive = _delay(result)
    if not walkers or loss is None:
        return drive
    people = vehicles * PERSONS_PER_VEHICLE
    return (drive * people + float(loss) * walkers) / (people + walkers)


def _derived_plans(
    window: SignalWindow,
    method: str,
    timing: Timing,
    *,
    seed: int,
    period_s: float | None,
    progress: Callable[[str, float], None] | None,
    split_phases: bool = True,
    options: Mapping[str, Any] = {},
) -> PlanOutcome:
    """Run adaptive controller ``method`` once and derive a fixed-time (or, with
    ``period_s``, time-of-day) plan from what it did."""
    from signals.controllers import make_controller
    from signals.derive import best_derived, read_log, served, time_of_day

    with tempfile.TemporaryDirectory(prefix="its-derive-") as tmp:
        log = Path(tmp) / "states.jsonl"
        controller = make_controller(
            method, window.network, window.tls_ids, timing=timing, log=log, split_phases=split_phases, **options
        )
        (result,) = _runs(window, [_config(window, seed, controller=controller)], runner=None)
        records = read_log(log) if log.is_file() else []
    greens = served(records, end=window.end)

    with tempfile.TemporaryDirectory(prefix="its-derive-demand-") as folder:
        try:
            routes = routed_demand(window.scenario, Path(folder))  # once, for every period
        except InputError:  # no demand to read: the plans keep the controller's stages and cycle
            routes = []

        @functools.cache
        def demand(begin: float, end: float) -> Flows | None:
            """The demand's flows in a period (None without any): they size each plan's cycle
            floor and choose its stages (see :func:`signals.derive.best_derived`)."""
            with contextlib.suppress(InputError):
                return signal_flows(replace(window, begin=begin, end=end), routes=routes)
            return None

        def link_flows(tls: str, begin: float, end: float) -> tuple[float, ...] | None:
            flows = demand(begin, end)
            return flows.of(tls) if flows is not None else None

        plans: list[TimingPlan] = []
        merged_at: list[str] = []
        schedules: list[tuple[str, tuple[tuple[float, str], ...]]] = []
        for tls in window.tls_ids:
            signal = window.network.signals[tls]
            flows_of = functools.partial(link_flows, tls)
            if period_s:
                tod = time_of_day(
                    signal,
                    greens,
                    timing,
                    begin=window.begin,
                    end=window.end,
                    period_s=period_s,
                    program_id=f"its-{method}",
                    flows_of=flows_of,
                )
                plans.extend(tod.plans)
                schedules.append(
                    (tls, tuple(zip(tod.switches, (p.program_id for p in tod.plans), strict=True)))
                )
                merged_at += [tls] if tod.merged else []
            else:
                plan, merged = best_derived(
                    signal,
                    greens,
                    timing,
                    begin=window.begin,
                    end=window.end,
                    program_id=f"its-{method}",
                    link_flows=flows_of(window.begin, window.end),
                )
                plans.append(plan)
                merged_at += [tls] if merged else []
    if progress is not None:
        progress("derive", 1.0)
    report = {
        "derived_from": f"controller {method} run in SUMO, seed {seed}",
        "controller_delay_s": _delay(result),
        "controller_options": dict(options),
        "merged_stages": merged_at,
        "note": "the controller itself runs with: its signals evaluate TARGET --controller "
        + method
        + _set_flags(options),
    }
    return PlanOutcome(
        method, tuple(plans), "simulation", f"controller {method} in SUMO", report, tuple(schedules)
    )


def evaluate_signals(
    window: SignalWindow,
    *,
    plans_file: Path | None = None,
    controller: str | None = None,
    seeds: Sequence[int] = (1, 2, 3, 4, 5),
    timing: Timing | None = None,
    teleport: float | None = -1,
    runner: JobRunner | None = None,
    on_done: Callable[[int, Any], None] | None = None,
    split_phases: bool = True,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The shipped programs (baseline) against a plan file or an adaptive controller
    (``result``) on the same seeds, in parallel; means over seeds and the relative change.
    ``split_phases=False`` keeps the controller to the shipped programs' greens; ``options``
    tune it (see :func:`signals.controllers.parse_options`).

    Raises
    ------
    PlanError
        If the plan file does not match the network or is unsafe.
    """
    from signals.controllers import BEST, make_controller

    timing = timing or Timing()
    options = dict(options or {})
    check_evaluation(window, plans_file=plans_file, controller=controller, timing=timing, options=options)
    from signals.performance import queue_stretches

    stretches = queue_stretches(window.network, window.tls_ids)
    measure = {"junctions": True, "lane_areas": lane_areas(stretches)}
    configs = [_config(window, s, teleport=teleport, **measure) for s in seeds]
    if plans_file is not None:
        label = f"plan {plans_file.name}"
        configs += [_config(window, s, plans_file=plans_file.resolve(), teleport=teleport, **measure) for s in seeds]
    else:
        name = controller or BEST
        label = f"controller {name}" + ("" if split_phases else " (shipped greens only)")
        label += "".join(f" {k}={_text(v)}" for k, v in options.items())
        configs += [
            _config(
                window,
                s,
                controller=make_controller(
                    name, window.network, window.tls_ids, timing=timing, split_phases=split_phases, **options
                ),
                teleport=teleport,
                **measure,
            )
            for s in seeds
        ]
    results = _runs(window, configs, runner=runner, on_done=on_done)
    n = len(seeds)
    baseline, result = _summary(results[:n], "programs as shipped"), _summary(results[n:], label)
    change = {}
    for key in (*SIGNAL_KPIS, *PERSON_KPIS):
        before, after = baseline.get(key), result.get(key)
        if before is None or after is None:
            continue
        # both sides ran the same seeds: a paired test on each seed's change
        paired = difference([r.kpis.get(key) for r in results[:n]], [r.kpis.get(key) for r in results[n:]], paired=True)
        tested = paired.p_value is not None
        change[key] = {
            "delta": after - before,
            "relative": (after - before) / before if before else None,
            "ci95": [paired.ci_low, paired.ci_high] if tested else None,
            "p_value": paired.p_value,
            "significant": paired.significant if tested else None,
        }
    return {
        "scenario": window.scenario.name,
        "window_s": [window.begin, window.end],
        "seeds": list(seeds),
        "time_to_teleport": teleport,
        "split_phases": None if plans_file is not None else split_phases,
        "controller_options": None if plans_file is not None else options,
        # the clearances and green bounds the controller ran with (a plan file has its own)
        "timing": None if plans_file is not None else asdict(timing),
        "baseline": baseline,
        "result": result,
        "change": change,
        "junctions": junction_comparison(window.network, results[:n], results[n:], window.tls_ids, stretches=stretches),
    }


def lane_areas(stretches: Sequence[QueueStretch]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The lane-area detectors a run lays to measure the queues of ``stretches`` (see
    :func:`signals.performance.queue_stretches`), as :class:`simulation.config.RunConfig`
    takes them; :func:`junction_comparison` reads them back by the same ids."""
    return tuple((f"its_queue_{k}", stretch.lanes) for k, stretch in enumerate(stretches))


def junction_comparison(
    network: SignalNetwork,
    before: Sequence[Any],
    after: Sequence[Any],
    tls_ids: Sequence[str] | None = None,
    *,
    stretches: Sequence[QueueStretch] = (),
) -> list[dict[str, Any]]:
    """Delay and level of service per signal (all by default), the runs ``before`` against
    those ``after`` (see :mod:`signals.performance`), from their edgeData; vehicles per hour
    of the runs' window. With the ``stretches`` whose :func:`lane_areas` the runs laid, each
    approach's queue too: the 95th percentile and the longest of the longest queue of each
    interval, and whether one filled its whole stretch. Empty when the runs collected no
    edgeData or nothing is signalised."""
    import pandas as pd

    from signals.performance import approach_edges, junction_delays

    runs = [*before, *after]
    if not network.signals or not runs or any(r.edges is None for r in runs):
        return []
    chains = approach_edges(network, tls_ids)
    hours = max(runs[0].end - runs[0].begin, 1.0) / 3600.0

    def delays(results: Sequence[Any]) -> dict[str, Any]:
        frames = [r.edges for r in results if not r.edges.empty]
        if not frames:
            return {}
        edges = pd.concat(frames)
        lost = edges.groupby("edge")["time_loss_s"].sum().to_dict()
        left = edges.groupby("edge")["vehicles_left"].sum().to_dict()
        remaining = edges.groupby("edge")["vehicles_added"].sum().to_dict()
        return junction_delays(chains, lost, left, remaining=remaining, runs=len(results))

    def side(delay: Any, queues: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
        worst = delay.worst
        approaches = [
            {
                "edge": a.edge,
                "vehicles_per_h": a.vehicles / hours,
                "delay_s": a.delay_s,
                **queues.get((delay.tls_id, a.edge), {}),
            }
            for a in delay.approaches
        ]
        measured = [a for a in approaches if "queue_p95_m" in a]
        return {
            "vehicles_per_h": delay.vehicles / hours,
            "delay_s": delay.delay_s,
            "los": delay.los,
            "queue_p95_m": max((a["queue_p95_m"] for a in measured), default=None),
            "queue_filled": [a["edge"] for a in measured if a["queue_filled"]],
            "worst_approach": None
            if worst is None
            else next(a for a in approaches if a["edge"] == worst.edge),
            "approaches": approaches,
        }

    base, ours = delays(before), delays(after)
    queued = _queues(before, stretches), _queues(after, stretches)
    rows = []
    for tls_id in chains:
        if tls_id not in base or tls_id not in ours:
            continue
        b, a = base[tls_id], ours[tls_id]
        change = None if b.delay_s is None or a.delay_s is None else a.delay_s - b.delay_s
        rows.append(
            {"tls_id": tls_id, "baseline": side(b, queued[0]), "result": side(a, queued[1]), "delay_change_s": change}
        )
    return rows


def _queues(results: Sequence[Any], stretches: Sequence[QueueStretch]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per approach (signal, incoming edge): the 95th percentile and the most of the longest
    queue of each interval over its lanes (metres, over the intervals of every run), the
    length measured, and whether a queue ever filled it (within a vehicle's space)."""
    import numpy as np
    import pandas as pd

    from signals.approach import VEHICLE_SPACE_M

    frames = [
        r.lane_areas.assign(run=k) for k, r in enumerate(results) if r.lane_areas is not None and not r.lane_areas.empty
    ]
    if not frames or not stretches:
        return {}
    jams = pd.concat(frames)
    by_id = {name: stretch for (name, _), stretch in zip(lane_areas(stretches), stretches, strict=True)}
    jams = jams[jams["detector"].isin(by_id)]
    jams["approach"] = [(by_id[d].tls_id, by_id[d].edge) for d in jams["detector"]]
    jams["filled"] = [m >= by_id[d].length_m - VEHICLE_SPACE_M for d, m in zip(jams["detector"], jams["max_jam_m"], strict=True)]
    out = {}
    for approach, rows in jams.groupby("approach"):
        longest = rows.groupby(["run", "begin"])["max_jam_m"].max()
        out[approach] = {
            "queue_p95_m": float(np.percentile(longest, 95)),
            "queue_max_m": float(longest.max()),
            "queue_stretch_m": max(by_id[d].length_m for d in rows["detector"].unique()),
            "queue_filled": bool(rows["filled"].any()),
        }
    return out


def check_evaluation(
    window: SignalWindow,
    *,
    plans_file: Path | None,
    controller: str | None,
    timing: Timing,
    options: Mapping[str, Any] | None = None,
) -> None:
    """Check what :func:`evaluate_signals` would run, before any simulation starts.

    Raises
    ------
    InputError, PlanError
        For both a plan and a controller, a missing or unsafe plan file, a plan that does not
        match the network, an unknown controller, or options with a plan file or that the
        controller does not have.
    """
    from signals.check import require_safe
    from signals.controllers import BEST, POLICIES, check_options
    from signals.plans import read_plans

    if plans_file is not None and controller is not None:
        raise InputError("give either a plan file or a controller, not both")
    if options and plans_file is not None:
        raise InputError("controller options apply to a controller; a plan file has its own timings")
    if options:
        check_options(controller or BEST, options)
    if plans_file is not None:
        if not plans_file.is_file():
            raise InputError(f"plan file {plans_file} does not exist")
        plans = read_plans(plans_file, window.network)
        require_safe(
            plans, window.network, timing, fixed_time=all(p.type == "static" for p in plans)
        )
    elif controller is not None:
        POLICIES[controller]


def _set_flags(options: Mapping[str, Any]) -> str:
    """``options`` as the command line's ``--set`` flags (with a leading space each)."""
    return "".join(f" --set {k}={_text(v)}" for k, v in options.items())


def _text(value: Any) -> str:
    """An option value as ``--set`` takes it back."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "/".join(f"{v:g}" for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def tune_controller(
    window: SignalWindow,
    controller: str,
    grid: Mapping[str, Sequence[Any]],
    *,
    seeds: Sequence[int] = (1, 2, 3),
    held_out: Sequence[int] = (101, 102, 103),
    timing: Timing | None = None,
    runner: JobRunner | None = None,
    progress: Callable[[int, int], None] | None = None,
    split_phases: bool = True,
    per_person: bool = False,
) -> dict[str, Any]:
    """Tune adaptive controller ``controller`` on the window: every combination of ``grid``
    (option to values) and the defaults on ``seeds``, the best then against the defaults on
    ``held_out`` (see :func:`signals.search.tune`), measured the benchmark's way (no
    teleporting). The report states the budget: the simulations run. With ``per_person``
    the delay compared is everyone's, walkers included (:func:`_person_delay`).

    Raises
    ------
    InputError
        On an unknown controller or option, a grid too large, or overlapping seeds.
    """
    from signals.controllers import check_options, make_controller, option_defaults
    from signals.search import tune

    timing = timing or Timing()
    check_options(controller, grid)
    defaults = option_defaults(controller)
    make_controller(controller, window.network, window.tls_ids, timing=timing)  # bad junctions: before any run

    def evaluate(jobs: Sequence[tuple[dict[str, Any], int]]) -> list[float]:
        configs = [
            _config(
                window,
                seed,
                controller=make_controller(
                    controller, window.network, window.tls_ids, timing=timing, split_phases=split_phases, **options
                ),
            )
            for options, seed in jobs
        ]
        measure = _person_delay if per_person else _delay
        return [measure(r) for r in _runs(window, configs, runner=runner)]

    result = tune(grid, evaluate, train_seeds=seeds, test_seeds=held_out, defaults=defaults, progress=progress)
    return {
        "scenario": window.scenario.name,
        "controller": controller,
        "window_s": [window.begin, window.end],
        "objective": "delay per person" if per_person else "delay per vehicle",
        "grid": {k: [_text(v) for v in values] for k, values in grid.items()},
        "defaults": {k: _text(defaults[k]) for k in grid},
        "training_seeds": list(seeds),
        "held_out_seeds": list(held_out),
        "simulations": result.evaluations,
        "candidates": [
            {
                "options": {k: _text(v) for k, v in row["options"].items()},
                "train_delay_s": row["train_delay_s"],
                "per_seed_delay_s": row["per_seed"],
            }
            for row in result.candidates
        ],
        "held_out_default_delay_s": result.default_test,
        "held_out_best_delay_s": result.best_test,
        "held_out_gain_se_s": result.gain_se,
        "accepted": result.accepted,
        "options": {k: _text(v) for k, v in result.options.items()},
        "command": f"its signals evaluate TARGET --controller {controller}{_set_flags(result.options)}",
    }


def _summary(results: Sequence[Any], label: str) -> dict[str, Any]:
    out: dict[str, Any] = {"label": label}
    for key in (*SIGNAL_KPIS, *PERSON_KPIS):
        values = [r.kpis.get(key) for r in results]
        numbers = [float(v) for v in values if v is not None]
        out[key] = sum(numbers) / len(numbers) if numbers else None
    out["per_seed_delay_s"] = [r.kpis.get("delay_s") for r in results]
    out["worst_seed_delay_s"] = max(
        (v for v in out["per_seed_delay_s"] if v is not None), default=None
    )
    return out


def plan_switch(
    scenario: Scenario, plans_file: Path, *, at_s: float | None = None, timing: Timing | None = None
) -> Any:
    """A :class:`signals.deploy.PlanSwitch` that swaps the plans of ``plans_file`` into a
    running simulation of ``scenario`` at each signal's next cycle boundary after ``at_s``
    (at once when None); put it in the twin's inbox (:func:`run_live_twin`).

    Raises
    ------
    PlanError
        If the file does not match the scenario's signals, a plan is not safe, or it holds
        several programs of a signal (a time-of-day plan: the twin is given one program).
    """
    from collections import Counter

    from signals.check import require_safe
    from signals.deploy import PlanSwitch
    from signals.model import read_signals
    from signals.plans import read_plans
    from simulation._sumocfg import read_sumocfg

    timing = timing or Timing()
    cfg = read_sumocfg(scenario.sumocfg)
    network = read_signals(cfg.net, cfg.additionals)
    plans = read_plans(plans_file, network)
    counted = Counter(p.tls_id for p in plans)
    several = next((tls for tls, n in counted.items() if n > 1), None)
    if several is not None:
        programs = ", ".join(p.program_id for p in plans if p.tls_id == several)
        raise PlanError(
            f"{plans_file}: holds {counted[several]} programs of {several} ({programs}; a time-of-day "
            "plan): deploy one program at a time, or run the file with its signals evaluate --plan"
        )
    require_safe(plans, network, timing, fixed_time=all(p.type == "static" for p in plans))
    signals = {p.tls_id: network.signals[p.tls_id] for p in plans}
    return PlanSwitch(
        plans,
        at_s=at_s,
        timing=timing,
        walkways={tls: s.walkways for tls, s in signals.items()},
        intergreens={tls: s.intergreens for tls, s in signals.items()},
    )
