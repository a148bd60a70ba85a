"""``its conditions``: live conditions per edge or named road, forecasts and history."""

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
from its.units import clock

app = typer.Typer(help="Live conditions per edge and named road, forecasts and history.", no_args_is_help=True)

_COLUMNS = ("link", "name", "speed km/h", "free flow", "travel s", "level", "confidence", "sources", "age")


@app.command()
def show(
    target: Annotated[str, typer.Argument(help="Scenario whose network to use.")] = "county",
    segments: Annotated[bool, typer.Option("--segments", help="Per named road instead of per edge.")] = False,
    edge: Annotated[list[str] | None, typer.Option("--edge", "-e", help="Only these edges (repeat).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown, most congested first.")] = 25,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Current conditions, fused from every feed in the store (most congested first)."""
    settings = get_settings()
    network = services.scenario_network(built_scenario(target))
    with services.open_store(settings) as store:
        now = services.as_of(store)
        model = services.conditions_model(store, settings, network=network, now=now)
    if segments:
        rows = services.segment_conditions(model, network, now)
    else:
        missing = [e for e in edge or [] if e not in network.edges]
        if missing:
            raise InputError(f"edge(s) not in the network: {', '.join(missing)}")
        rows = list(model.conditions(now, edge or None).values())
    rows.sort(key=lambda c: (-(c.congestion or 0.0), c.link_id))
    if json_:
        print_json({"as_of": now, "conditions": [c.to_json() for c in rows[:limit]]})
        return
    _table(rows[:limit], now, settings.timezone)


@app.command()
def forecast(
    edge: Annotated[str, typer.Argument(help="Edge (or station link) to forecast.")],
    target: Annotated[str, typer.Option("--scenario", "-s", help="Scenario whose network to use.")] = "county",
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Conditions expected in 15, 30 and 60 minutes (profile plus today's fading anomaly)."""
    settings = get_settings()
    network = services.scenario_network(built_scenario(target))
    with services.open_store(settings) as store:
        now = services.as_of(store)
        model = services.conditions_model(store, settings, network=network, now=now)
    if edge not in model.links:
        raise InputError(f"{edge!r} is neither an edge of the network nor a station with readings")
    current = model.condition(edge, now)
    ahead = model.forecast(edge, now)
    if json_:
        print_json({"link": edge, "now": current.to_json(), "forecast": {f"{int(h // 60)}min": c.to_json() for h, c in ahead.items()}})
        return
    _table([current, *ahead.values()], now, settings.timezone, labels=["now", *(f"+{int(h // 60)} min" for h in ahead)])


@app.command()
def history(
    link: Annotated[str, typer.Argument(help="Edge or station link.")],
    hours: Annotated[float, typer.Option("--hours", min=0.1, help="How far back.")] = 24.0,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The stored conditions snapshots of one link."""
    settings = get_settings()
    with services.open_store(settings) as store:
        now = services.as_of(store)
        rows = store.condition_history(link, since=now - hours * 3600)
    if json_:
        print_json({"link": link, "history": rows})
        return
    table = Table(title=f"{link}: conditions history")
    for column in ("time", "speed km/h", "travel s", "level", "confidence"):
        table.add_column(column)
    zone = ZoneInfo(settings.timezone)
    for row in rows:
        table.add_row(
            datetime.fromtimestamp(row["time"], zone).strftime("%Y-%m-%d %H:%M"),
            "-" if row["speed_ms"] is None else f"{row['speed_ms'] * 3.6:.1f}",
            "-" if row["travel_time_s"] is None else f"{row['travel_time_s']:.1f}",
            row["level"],
            f"{row['confidence']:.2f}",
        )
    out.print(table)


def _table(rows, now: float, tz: str, labels: list[str] | None = None) -> None:
    zone = ZoneInfo(tz)
    table = Table(title=f"conditions as of {datetime.fromtimestamp(now, zone):%Y-%m-%d %H:%M:%S} ({tz})")
    for column in _COLUMNS:
        table.add_column(column)
    for i, c in enumerate(rows):
        data = c.to_json()
        age = "-" if c.observed_at is None else clock(max(0.0, now - c.observed_at))
        table.add_row(
            labels[i] if labels else c.link_id,
            c.name,
            "-" if data["speed_kmh"] is None else f"{data['speed_kmh']:.1f}",
            "-" if data["free_flow_speed_kmh"] is None else f"{data['free_flow_speed_kmh']:.1f}",
            "-" if data["travel_time_s"] is None else f"{data['travel_time_s']:.1f}",
            c.level,
            f"{c.confidence:.2f}",
            ",".join(c.sources) or "profile",
            age,
        )
    out.print(table)
