"""The ``its`` command line: one typer app, a sub-module per command group.

Errors a user can cause print one line on stderr and exit with status 2; nothing prints a
traceback unless ``ITS_DEBUG=1``.
"""

from __future__ import annotations

import logging
import os
import sys

import typer
from rich.logging import RichHandler

from api.cli import conditions, feeds, gtfs, route, scenario, signals, simulate, transit, twin
from api.cli._common import err
from its.errors import ITSError

__all__ = ["app", "main"]

app = typer.Typer(
    name="its",
    help="Intelligent transportation analytics and control: SUMO what-if runs, signal timing, transit scheduling, live conditions and routing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    add_completion=False,
)
app.add_typer(scenario.app, name="scenario")
app.add_typer(signals.app, name="signals")
app.add_typer(gtfs.app, name="gtfs")
app.add_typer(transit.app, name="transit")
simulate.register(app)
route.register(app)
app.add_typer(feeds.app, name="feeds")
app.add_typer(twin.app, name="twin")
app.add_typer(conditions.app, name="conditions")


def main() -> None:
    """Entry point of the ``its`` program."""
    debug = os.environ.get("ITS_DEBUG") == "1"
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    try:
        app()
    except ITSError as error:
        if debug:
            raise
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as error:  # a bug, not bad input: still one line, with a way to see more
        if debug:
            raise
        err.print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error} (run with ITS_DEBUG=1 for details)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)
