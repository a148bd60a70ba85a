"""Pictures of runs: the network map, KPI bars with confidence intervals, speed-change maps.

matplotlib with the Agg backend, written to PNG; no window is ever opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import TwoSlopeNorm

from its.kpi import Summary
from its.network import Network

__all__ = ["plot_kpi_bars", "plot_network", "plot_speed_change"]


def _segments(network: Network, edges: Sequence[str]) -> list[np.ndarray]:
    return [np.asarray(network.edges[e].shape) for e in edges]


def plot_network(
    network: Network,
    path: Path,
    *,
    title: str = "",
    bus_stops: Mapping[str, tuple[float, float]] | None = None,
    detectors: Sequence[tuple[float, float]] = (),
    labels: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """Draw the network: roads by speed limit and width by lanes, signals, detectors, stops."""
    edges = list(network.edges)
    speeds = np.asarray([network.edges[e].speed * 3.6 for e in edges])
    widths = np.asarray([0.6 + 0.7 * len(network.edges[e].lanes) for e in edges])
    fig, ax = plt.subplots(figsize=(11, 9), dpi=110)
    collection = LineCollection(_segments(network, edges), array=speeds, cmap="viridis", linewidths=widths)
    ax.add_collection(collection)
    fig.colorbar(collection, ax=ax, shrink=0.6, label="speed limit (km/h)")
    tls = [j for j in network.junctions.values() if j.signalised]
    if tls:
        ax.scatter([j.x for j in tls], [j.y for j in tls], s=28, c="red", zorder=3, label=f"signals ({len(tls)})")
    if detectors:
        xs, ys = zip(*detectors, strict=True)
        ax.scatter(xs, ys, s=4, c="orange", zorder=4, label=f"induction loops ({len(detectors)})")
    if bus_stops:
        xs, ys = zip(*bus_stops.values(), strict=True)
        ax.scatter(xs, ys, s=22, marker="s", c="royalblue", zorder=4, label=f"bus stops ({len(bus_stops)})")
    for text, (x, y) in (labels or {}).items():
        ax.annotate(text, (x, y), fontsize=9, ha="center", va="bottom", xytext=(0, 6), textcoords="offset points")
    ax.set_aspect("equal")
    ax.autoscale()
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or network.path.name)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_kpi_bars(
    rows: Mapping[str, tuple[Summary, Summary]],
    path: Path,
    *,
    labels: tuple[str, str] = ("baseline", "variant"),
    title: str = "",
) -> Path:
    """One small panel per KPI: baseline and variant means with 95% confidence intervals."""
    names = list(rows)
    columns = min(4, len(names)) or 1
    lines = (len(names) + columns - 1) // columns or 1
    fig, axes = plt.subplots(lines, columns, figsize=(3.2 * columns, 2.8 * lines), dpi=110, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        base, var = rows[name]
        means = [base.mean, var.mean]
        errors = [[base.mean - base.ci_low, var.mean - var.ci_low], [base.ci_high - base.mean, var.ci_high - var.mean]]
        ax.bar(labels, means, yerr=errors, capsize=6, color=["#8c9fb7", "#e07b39"])
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.suptitle(title or "KPIs, mean and 95% confidence interval over seeds", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_speed_change(network: Network, change_ms: Mapping[str, float], path: Path, *, title: str = "") -> Path:
    """The network coloured by the change in mean speed per edge (variant minus baseline).

    Edges with a NaN change (traffic in the baseline, none in the variant) are drawn black.
    """
    known = [e for e in network.edges if e in change_ms and np.isfinite(change_ms[e])]
    emptied = [e for e in network.edges if e in change_ms and not np.isfinite(change_ms[e])]
    rest = [e for e in network.edges if e not in change_ms]
    fig, ax = plt.subplots(figsize=(11, 9), dpi=110)
    ax.add_collection(LineCollection(_segments(network, rest), colors="#d0d0d0", linewidths=0.8))
    if emptied:
        ax.add_collection(
            LineCollection(_segments(network, emptied), colors="black", linewidths=2.6, label="no traffic in the variant")
        )
        ax.legend(loc="lower right", fontsize=8)
    values = np.asarray([change_ms[e] * 3.6 for e in known])
    bound = float(np.nanmax(np.abs(values))) if values.size else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-max(bound, 1.0), vmax=max(bound, 1.0))
    collection = LineCollection(_segments(network, known), array=values, cmap="RdYlGn", norm=norm, linewidths=2.2)
    ax.add_collection(collection)
    fig.colorbar(collection, ax=ax, shrink=0.6, label="change in mean speed (km/h)")
    ax.set_aspect("equal")
    ax.autoscale()
    ax.set_title(title or "Change in mean speed per edge")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
