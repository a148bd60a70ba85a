"""``its route``: the fastest ways from one place to another, by car or by bus."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from api import services
from api.cli._common import built_scenario, out, print_json
from its.errors import InputError
from its.settings import get_settings
from its.units import clock, parse_time


def register(app: typer.Typer) -> None:
    app.command()(route)
    app.command()(departures)


def route(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="lon,lat, a stop id or name, a street name or a junction id.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Same forms as FROM.")],
    depart: Annotated[str | None, typer.Option("--depart", help="Departure time today, HH:MM (default: now).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="car or transit.")] = "car",
    scenario_name: Annotated[str, typer.Option("--scenario", "-s", help="Scenario whose network and timetable to use.")] = "county",
    alternatives: Annotated[int, typer.Option("--alternatives", "-k", min=1, max=5, help="Car routes to show.")] = 3,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Fastest routes by car (live travel times, alternatives, ETA) or transit journeys."""
    if mode not in ("car", "transit"):
        raise InputError(f"--mode must be car or transit, not {mode!r}")
    settings = get_settings()
    scenario = built_scenario(scenario_name)
    network = services.scenario_network(scenario)
    timetable = None
    if scenario.build is not None and scenario.build.transit is not None:
        timetable = services.scenario_timetable(scenario)
    elif mode == "transit":
        raise InputError(f"scenario {scenario.name!r} has no timetable for --mode transit")
    start = services.resolve_place(origin, network, timetable)
    end = services.resolve_place(destination, network, timetable)
    with services.open_store(settings) as store:
        now = services.as_of(store)
        zone = ZoneInfo(settings.timezone)
        epoch = services.local_epoch(settings, datetime.fromtimestamp(now, zone).date())
        leave = epoch + parse_time(depart, field="--depart") if depart is not None else now
        if mode == "car":
            model = services.conditions_model(store, settings, network=network, now=now) if store.latest_reading_time() else None
            answer = services.route_car(network, start, end, depart=leave, model=model, now=now, k=alternatives)
            if json_:
                print_json(answer.to_json(epoch))
                return
            _print_car(answer, epoch, network)
            return
        assert timetable is not None
        updates = services.stored_trip_updates(store)
        transit = services.route_transit(timetable, start, end, depart_s=leave - epoch, updates=updates, service_day_start=epoch)
    if json_:
        print_json(transit.to_json())
        return
    _print_transit(transit)


def _print_car(answer: services.RoadAnswer, epoch: float, network) -> None:
    table = Table(title=f"{answer.origin.label or answer.origin.text} → {answer.destination.label or answer.destination.text}, leaving {clock(answer.depart - epoch)}")
    for column in ("route", "time", "free flow", "length", "arrive", "via"):
        table.add_column(column, justify="left" if column in ("route", "via") else "right")
    for i, (r, arrive) in enumerate(zip(answer.routes, answer.arrivals, strict=True)):
        names = [network.edges[e].name for e in r.edges if network.edges[e].name]
        via = ", ".join(dict.fromkeys(names)) or f"{len(r.edges)} edges"
        table.add_row(
            "fastest" if i == 0 else f"alternative {i}",
            f"{(arrive - answer.depart) / 60:.1f} min",
            f"{r.free_flow_time_s / 60:.1f} min",
            f"{r.length_m / 1000:.2f} km",
            clock(arrive - epoch),
            via,
        )
    out.print(table)
    out.print(f"live travel times on {answer.live_edges} edges" if answer.live_edges else "no live data: free-flow travel times")


def _print_transit(answer: services.TransitAnswer) -> None:
    for n, journey in enumerate(answer.journeys, start=1):
        table = Table(title=f"journey {n}: {clock(journey.depart_s)} → {clock(journey.arrive_s)} ({(journey.arrive_s - journey.depart_s) / 60:.0f} min, {journey.transfers} transfers)")
        for column in ("leg", "from", "to", "depart", "arrive", "delay"):
            table.add_column(column)
        for leg in journey.legs:
            what = f"bus {leg.route_id} ({leg.trip_id})" if leg.mode == "ride" else "walk"
            delay = f"{leg.delay_s / 60:+.1f} min" if leg.mode == "ride" and leg.delay_s else ""
            table.add_row(what, leg.from_stop or "start", leg.to_stop or "destination", clock(leg.depart_s), clock(leg.arrive_s), delay)
        out.print(table)
    if answer.updates_used:
        out.print(f"real-time delays applied to {answer.updates_used} trips")


def departures(
    stop: Annotated[str, typer.Argument(help="Stop or station: id or name.")],
    at: Annotated[str | None, typer.Option("--at", help="From this time today, HH:MM (default: now).")] = None,
    scenario_name: Annotated[str, typer.Option("--scenario", "-s", help="Scenario whose timetable to use.")] = "county",
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many departures.")] = 10,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The next departures from a stop, with real-time delays."""
    settings = get_settings()
    scenario = built_scenario(scenario_name)
    timetable = services.scenario_timetable(scenario)
    with services.open_store(settings) as store:
        now = services.as_of(store)
        epoch = services.local_epoch(settings, datetime.fromtimestamp(now, ZoneInfo(settings.timezone)).date())
        after = parse_time(at, field="--at") if at is not None else now - epoch
        found = services.next_departures(
            timetable, stop, after_s=after, updates=services.stored_trip_updates(store), service_day_start=epoch, limit=limit
        )
    if json_:
        print_json(
            {"stop": stop, "after": clock(after), "departures": [
                {"stop": d.stop_id, "trip": d.trip_id, "route": d.route_id, "headsign": d.headsign,
                 "scheduled": clock(d.scheduled_s), "expected": clock(d.expected_s), "delay_s": round(d.delay_s, 1)}
                for d in found
            ]}
        )  # fmt: skip
        return
    table = Table(title=f"departures from {stop} after {clock(after)}")
    for column in ("expected", "scheduled", "route", "to", "stop", "delay"):
        table.add_column(column)
    for d in found:
        table.add_row(clock(d.expected_s), clock(d.scheduled_s), d.route_id, d.headsign, d.stop_id, f"{d.delay_s / 60:+.1f} min" if d.delay_s else "")
    out.print(table)
