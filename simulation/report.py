"""Reports of runs and comparisons: JSON, a Markdown table, and PNG charts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from its.network import read_network
from its.units import clock
from simulation.compare import Comparison, KpiRow
from simulation.plots import plot_kpi_bars, plot_speed_change

__all__ = ["comparison_json", "comparison_markdown", "write_comparison"]

#: KPIs drawn as bars in the comparison chart.
CHARTED = (
    "mean_time_loss_s",
    "p95_time_loss_s",
    "mean_trip_duration_s",
    "mean_waiting_time_s",
    "delay_s",
    "vehicles_arrived",
    "throughput_veh_h",
    "mean_speed_kmh",
    "teleports",
    "co2_kg",
    "conflicts",
)


def _number(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as one JSON object."""

    def row(r: KpiRow) -> dict[str, Any]:
        return {
            "baseline": {"mean": _number(r.baseline.mean), "ci95": [_number(r.baseline.ci_low), _number(r.baseline.ci_high)]},
            "variant": {"mean": _number(r.variant.mean), "ci95": [_number(r.variant.ci_low), _number(r.variant.ci_high)]},
            "difference": _number(r.change.delta),
            "difference_ci95": [_number(r.change.ci_low), _number(r.change.ci_high)],
            "relative_change": _number(r.change.relative),
            "p_value": _number(r.change.p_value),
            "significant": r.change.significant,
            "verdict": r.verdict,
        }

    return {
        "scenario": comparison.scenario,
        "variant": comparison.variant.name,
        "changes": [c.model_dump(mode="json") for c in comparison.variant.changes],
        "seeds": list(comparison.seeds),
        "kpis": {r.name: row(r) for r in comparison.rows},
        "runs": {
            "baseline": [r.to_json() for r in comparison.baseline_runs],
            "variant": [r.to_json() for r in comparison.variant_runs],
        },
    }


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def comparison_markdown(comparison: Comparison) -> str:
    """A Markdown table: each KPI's means with 95% intervals, the change and its significance."""
    first = comparison.baseline_runs[0] if comparison.baseline_runs else None
    window = f"{clock(first.begin)}–{clock(first.end)}" if first else ""
    lines = [
        f"# {comparison.scenario}: baseline vs {comparison.variant.name}",
        "",
        f"{comparison.variant.description or ''}".strip(),
        "",
        f"Window {window}, seeds {', '.join(map(str, comparison.seeds))}; mean ± half-width of the 95% "
        "confidence interval over seeds; significance by a paired t-test over the seeds at 5% (both sides run the same seeds).",
        "",
        "| KPI | baseline | variant | change | relative | p | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in comparison.rows:
        rel = f"{r.change.relative:+.1%}" if r.change.relative is not None else "–"
        p = f"{r.change.p_value:.3f}" if r.change.p_value is not None else "–"
        lines.append(
            f"| {r.name} | {_fmt(r.baseline.mean)} ± {_fmt(r.baseline.half_width)} "
            f"| {_fmt(r.variant.mean)} ± {_fmt(r.variant.half_width)} | {_fmt(r.change.delta)} "
            f"| {rel} | {p} | {'**' + r.verdict + '**' if r.change.significant else r.verdict} |"
        )
    return "\n".join(line for line in lines) + "\n"


def write_comparison(comparison: Comparison, out_dir: Path, *, net_file: Path | None = None) -> dict[str, Path]:
    """Write ``comparison.json``, ``comparison.md``, ``kpis.png`` and (with a network) ``speed_change.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "json": out_dir / "comparison.json",
        "markdown": out_dir / "comparison.md",
        "chart": out_dir / "kpis.png",
    }
    files["json"].write_text(json.dumps(comparison_json(comparison), indent=2) + "\n", encoding="utf-8")
    files["markdown"].write_text(comparison_markdown(comparison), encoding="utf-8")
    charted = {r.name: (r.baseline, r.variant) for r in comparison.rows if r.name in CHARTED}
    plot_kpi_bars(
        charted,
        files["chart"],
        labels=("baseline", comparison.variant.name[:18]),
        title=f"{comparison.scenario}: baseline vs {comparison.variant.name} (95% CI over {len(comparison.seeds)} seeds)",
    )
    change = comparison.speed_change()
    if net_file is not None and not change.empty:
        files["map"] = plot_speed_change(
            read_network(net_file),
            change.to_dict(),
            out_dir / "speed_change.png",
            title=f"{comparison.scenario}: mean speed, {comparison.variant.name} minus baseline",
        )
    return files
