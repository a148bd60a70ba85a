"""``its gtfs``: check GTFS feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api import services
from api.cli._common import out, print_json

app = typer.Typer(help="Check GTFS feeds.", no_args_is_help=True)


@app.command()
def validate(
    feed: Annotated[Path, typer.Argument(help="A GTFS zip or folder.")],
    json_: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    show: Annotated[int, typer.Option("--show", min=0, help="Notices listed per code (the JSON has them all).")] = 5,
) -> None:
    """Validate a feed against the GTFS rules: errors and warnings with file, row and field.

    Exits with status 1 when the feed has errors.
    """
    report = services.validate_feed(feed)
    if json_:
        print_json(report.as_dict())
    else:
        table = Table(title=f"{feed}: {len(report.errors)} errors, {len(report.warnings)} warnings")
        for column in ("severity", "code", "count", "where", "what"):
            table.add_column(column, overflow="fold")
        shown: dict[str, int] = {}
        counts = report.counts()
        for notice in report.notices:
            k = shown.get(notice.code, 0)
            shown[notice.code] = k + 1
            if k >= show:
                continue
            style = {"error": "red", "warning": "yellow"}.get(notice.severity, "")
            table.add_row(
                f"[{style}]{notice.severity}[/]" if style else notice.severity,
                notice.code,
                str(counts[notice.code]) if k == 0 else "",
                notice.where(),
                notice.message,
            )
        out.print(table)
        out.print("valid: no errors" if report.valid else f"invalid: {len(report.errors)} errors")
    if not report.valid:
        raise typer.Exit(1)
