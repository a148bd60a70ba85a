"""Delay per signalised junction on the command line: the table and the chart that
``its signals evaluate`` and ``its compare`` show (rows from
:func:`api.services.junction_comparison`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from api.cli._common import out

__all__ = ["JUNCTION_ROWS", "junction_chart", "junction_markdown", "junction_table"]

#: Junction rows the text report shows (the JSON has them all).
JUNCTION_ROWS = 15


def junction_table(rows: list[dict[str, Any]], labels: tuple[str, str] = ("baseline", "result")) -> None:
    """The junctions with the most delay after the change, before and after."""
    if not rows:
        return

    def after(row: dict[str, Any]) -> float:
        return row["result"]["delay_s"] if row["result"]["delay_s"] is not None else -1.0

    shown = sorted(rows, key=after, reverse=True)[:JUNCTION_ROWS]
    more = len(rows) - len(shown)
    table = Table(
        title="Delay per junction on its approaches, s/vehicle (level of service)"
        + (f": the {len(shown)} with the most, {more} more with --json" if more else "")
    )
    for column in ("junction", "veh/h", *labels, "change", "95% queue (m)", "worst approach after"):
        # ids fold rather than end in "…": they can be copied into --tls
        named = column in ("junction", "worst approach after")
        table.add_column(column, justify="left" if named else "right", overflow="fold" if named else "ellipsis")
    filled = False
    for row in shown:
        b, a = row["baseline"], row["result"]
        worst = a["worst_approach"]
        filled = filled or bool(b.get("queue_filled") or a.get("queue_filled"))
        table.add_row(
            row["tls_id"],
            f"{a['vehicles_per_h']:,.0f}",
            _los(b),
            _los(a),
            "–" if row["delay_change_s"] is None else f"{row['delay_change_s']:+.1f}",
            f"{_queue(b)} → {_queue(a)}",
            "–" if worst is None else f"{worst['edge'][:28]} {worst['delay_s']:.1f} s",
        )
    out.print(table)
    if filled:
        out.print(
            "*: a queue filled the whole stretch measured (back to the previous signal, or 400 m or to where "
            "the road splits): it may have spilled back further; the JSON names the approaches"
        )


def _queue(side: dict[str, Any]) -> str:
    """The junction's longest 95th-percentile queue over its approaches, starred when a
    queue filled its stretch."""
    metres = side.get("queue_p95_m")
    return "–" if metres is None else f"{metres:,.0f}{'*' if side.get('queue_filled') else ''}"


def junction_markdown(rows: list[dict[str, Any]], labels: tuple[str, str] = ("baseline", "result")) -> str:
    """Every junction as a Markdown table, the most delay after the change first."""
    if not rows:
        return ""
    head = [
        "## Delay per junction",
        "",
        "Time lost on each signal's approaches per vehicle crossing its stop line (s), with HCM's level "
        "of service, and the 95th-percentile queue of its longest approach (m; * a queue filled the "
        "stretch measured).",
        "",
        f"| junction | veh/h | {labels[0]} | {labels[1]} | change | 95% queue (m) | worst approach after |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    lines = []
    for row in sorted(rows, key=lambda r: -(r["result"]["delay_s"] or -1.0)):
        b, a = row["baseline"], row["result"]
        worst = a["worst_approach"]
        change = "–" if row["delay_change_s"] is None else f"{row['delay_change_s']:+.1f}"
        where = "–" if worst is None else f"{worst['edge']} {worst['delay_s']:.1f} s"
        lines.append(
            f"| {row['tls_id']} | {a['vehicles_per_h']:,.0f} | {_los(b)} | {_los(a)} | {change} | "
            f"{_queue(b)} → {_queue(a)} | {where} |"
        )
    return "\n".join([*head, *lines, ""])


def _los(side: dict[str, Any]) -> str:
    return "–" if side["delay_s"] is None else f"{side['delay_s']:.1f} ({side['los']})"


def junction_chart(
    network: Any, rows: list[dict[str, Any]], path: Path, *, labels: tuple[str, str], title: str
) -> Path:
    """The junction delay chart of ``rows`` (see :func:`signals.diagram.junction_delay_chart`).

    Raises
    ------
    InputError
        If no junction has a delay on both sides.
    """
    from signals.diagram import junction_delay_chart

    delays = {
        row["tls_id"]: (row["baseline"]["delay_s"], row["result"]["delay_s"], row["result"]["vehicles_per_h"])
        for row in rows
    }
    return junction_delay_chart(network, delays, path, labels=labels, title=title)
