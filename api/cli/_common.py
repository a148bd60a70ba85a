"""Shared pieces of the command line: consoles, one-line errors, progress bars, options."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from its.errors import InputError
from its.scenario import Scenario, load
from its.settings import get_settings
from its.units import parse_time

__all__ = ["built_scenario", "err", "out", "parse_window", "print_json", "progress_bar", "target_scenario"]

#: Results go to stdout (so ``--json`` output can be piped); everything else to stderr.
out = Console()
err = Console(stderr=True)


def print_json(data: Any) -> None:
    """Print one JSON object on stdout (NaN and infinity become null)."""
    sys.stdout.write(json.dumps(_clean(data), indent=2) + "\n")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def parse_window(begin: str | None, end: str | None) -> tuple[float | None, float | None]:
    """``--begin``/``--end`` values (seconds or HH:MM[:SS]) in seconds, checked for order."""
    b = parse_time(begin, field="--begin") if begin is not None else None
    e = parse_time(end, field="--end") if end is not None else None
    if b is not None and e is not None and e <= b:
        raise InputError(f"--end ({end}) must be after --begin ({begin})")
    return b, e


def target_scenario(target: str) -> Scenario:
    """The scenario named by a command's TARGET argument."""
    return load(target, settings=get_settings())


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich progress display on stderr (hidden when stderr is not a terminal)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        yield progress


def built_scenario(target: str) -> Scenario:
    """The scenario named by TARGET, built first (with a status line) if it is generated."""
    from api import services

    scenario = target_scenario(target)
    if scenario.build is not None:
        with err.status(f"checking {scenario.name} is built") as status:
            services.ensure_built(scenario, step=lambda s: status.update(f"building {scenario.name}: {s}"))
    return scenario
