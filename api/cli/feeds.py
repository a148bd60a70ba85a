"""``its feeds``: ingest detector batches, probe points and GTFS-Realtime; status; retention."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api import services
from api.cli._common import built_scenario, err, out, print_json
from its.errors import InputError
from its.settings import get_settings

app = typer.Typer(help="Ingest live feeds into the store; show what is stored; apply retention.", no_args_is_help=True)

KINDS = ("detectors", "probes", "gtfs-rt")


@app.command()
def ingest(
    kind: Annotated[str, typer.Argument(help="detectors, probes or gtfs-rt.")],
    files: Annotated[list[Path], typer.Argument(help="Files to ingest (a batch each).", exists=True, dir_okay=False)],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="json, csv or pems (default: from the file name).")] = None,
    feed: Annotated[str | None, typer.Option("--feed", help="Name of the feed the readings come from.")] = None,
    scenario_name: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario whose network matches probes and knows the detectors.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Ingest files: rejected rows are counted per reason, the good ones stored (once)."""
    if kind not in KINDS:
        raise InputError(f"unknown feed kind {kind!r}; use one of {', '.join(KINDS)}")
    settings = get_settings()
    scenario = built_scenario(scenario_name) if scenario_name else None
    network = services.scenario_network(scenario) if scenario else None
    if kind == "probes" and network is None:
        raise InputError("probes are map-matched to a network: give --scenario")
    results = []
    with services.open_store(settings) as store:
        if kind == "gtfs-rt":
            result = services.ingest_gtfs_rt(store, [f.read_bytes() for f in files], network=network, feed=feed or "gtfs-rt")
            results.append(("all files", result))
        for path in files if kind != "gtfs-rt" else []:
            chosen = fmt or _format_of(path)
            data = path.read_bytes()
            if kind == "detectors":
                edges = services.detector_edges(scenario) if scenario else None
                result = services.ingest_detectors(
                    store, data, fmt=chosen, feed=feed or ("pems" if chosen == "pems" else "field"), detector_edges=edges, tz=settings.timezone
                )
            else:
                assert network is not None
                result = services.ingest_probes(store, data, fmt=chosen, network=network, feed=feed or "probes", tz=settings.timezone)
            results.append((str(path), result))
    if json_:
        print_json({name: r.to_json() for name, r in results})
        return
    for name, r in results:
        rejected = ", ".join(f"{reason}: {n}" for reason, n in sorted(r.rejected.items())) or "none"
        extra = "".join(f", {k} {v}" for k, v in r.extra.items())
        out.print(f"{name}: {r.accepted:,} accepted, {r.stored:,} new in the store{extra}; rejected: {rejected}")


@app.command()
def poll(
    url: Annotated[str, typer.Argument(help="GTFS-Realtime URL (VehiclePositions, TripUpdates or Alerts).")],
    every: Annotated[float, typer.Option("--every", min=1, help="Seconds between fetches.")] = 30.0,
    rounds: Annotated[int | None, typer.Option("--rounds", min=1, help="Stop after this many fetches (default: until Ctrl-C).")] = None,
    scenario_name: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario whose network matches vehicles.")] = None,
    feed: Annotated[str, typer.Option("--feed", help="Feed name.")] = "gtfs-rt",
) -> None:
    """Pull a GTFS-Realtime URL on an interval into the store."""
    import httpx

    settings = get_settings()
    network = services.scenario_network(built_scenario(scenario_name)) if scenario_name else None

    def report(result: services.IngestResult) -> None:
        err.print(
            f"{time.strftime('%H:%M:%S')} {result.extra.get('vehicles', 0)} vehicles, {result.extra.get('trip_updates', 0)} trip updates, "
            f"{result.extra.get('alerts', 0)} alerts; rejected {sum(result.rejected.values())}"
        )

    with services.open_store(settings) as store, httpx.Client(follow_redirects=True) as client:
        count = services.poll_gtfs_rt(
            store, client, url, interval_s=every, rounds=rounds, network=network, feed=feed,
            on_result=report, on_error=lambda e: err.print(f"[yellow]{e}[/]"),
        )  # fmt: skip
    out.print(f"{count} messages ingested from {url}")


@app.command()
def status(json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """What the store holds: readings by feed and kind, the latest reading, real-time items."""
    from sqlalchemy import func, select

    from its.storage.models import ReadingRow

    settings = get_settings()
    with services.open_store(settings) as store, store.engine.connect() as connection:
        rows = connection.execute(
            select(ReadingRow.feed, ReadingRow.kind, func.count(), func.min(ReadingRow.time), func.max(ReadingRow.time)).group_by(ReadingRow.feed, ReadingRow.kind)
        ).all()
        realtime = {kind: len(store.realtime(kind)) for kind in ("trip_update", "alert")}
    data = {
        "database": store._safe_url(),
        "feeds": [{"feed": f, "kind": k, "readings": n, "first": a, "last": b} for f, k, n, a, b in rows],
        "trip_updates": realtime["trip_update"],
        "alerts": realtime["alert"],
    }
    if json_:
        print_json(data)
        return
    table = Table(title=f"store {data['database']}")
    for column in ("feed", "kind", "readings", "first", "last"):
        table.add_column(column)
    for f, k, n, a, b in rows:
        table.add_row(f, k, f"{n:,}", time.strftime("%Y-%m-%d %H:%M", time.localtime(a)), time.strftime("%Y-%m-%d %H:%M", time.localtime(b)))
    out.print(table)
    out.print(f"{realtime['trip_update']} trip updates and {realtime['alert']} alerts kept")


@app.command()
def prune(
    days: Annotated[float | None, typer.Option("--days", help="Keep this many days (default: ITS_RETENTION_DAYS).")] = None,
) -> None:
    """Delete readings, conditions history and real-time items older than the retention."""
    settings = get_settings()
    keep = days if days is not None else settings.retention_days
    if keep <= 0:
        raise InputError("--days must be positive")
    with services.open_store(settings) as store:
        deleted = store.prune(retention_s=keep * 86_400)
    out.print("deleted " + ", ".join(f"{n:,} {what}" for what, n in deleted.items()) + f" older than {keep:g} days")


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".json", ".ndjson", ".jsonl")):
        return "json"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".txt") and "station_5min" in name:
        return "pems"
    raise InputError(f"{path}: cannot tell the format from the name; give --format json, csv or pems")
