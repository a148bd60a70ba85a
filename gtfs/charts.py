"""Pictures planners use: string-line (Marey) charts of a line's timetable, and Gantt charts
of vehicle blocks and of driver duties. matplotlib with the Agg backend, written to PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MultipleLocator

from gtfs.blocks import Block, BlockTrip
from gtfs.duties import Duty
from gtfs.terminals import haversine_m
from its.transit import Timetable

__all__ = ["plot_duties", "plot_gantt", "plot_stringline", "plot_stringlines"]


def _clock_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_locator(MultipleLocator(3600))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v // 3600):02d}:{int(v % 3600 // 60):02d}"))
    ax.grid(axis="x", alpha=0.3)


def plot_stringline(timetable: Timetable, route_ids: Sequence[str], path: Path, *, title: str = "") -> Path:
    """A string-line chart: every trip of the routes as a line through time (x) and
    distance along the route's longest pattern (y, km), outbound up and inbound down."""
    stops = {s.stop_id: s for s in timetable.stops}
    station = {s.stop_id: s.parent_station or s.stop_id for s in timetable.stops}
    trips = [t for t in timetable.trips if t.route_id in route_ids]
    if not trips:
        raise ValueError(f"no trips on routes {', '.join(route_ids)}")
    spine_trip = max((t for t in trips if (t.direction_id or 0) == 0), key=lambda t: len(t.stop_times), default=trips[0])
    spine = [c.stop_id for c in spine_trip.stop_times]
    lon = np.array([stops[s].lon for s in spine])
    lat = np.array([stops[s].lat for s in spine])
    km = np.concatenate([[0.0], np.cumsum(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]))]) / 1000.0
    position = {}
    for s, d in zip(spine, km, strict=True):
        position.setdefault(station[s], d)
    fig, ax = plt.subplots(figsize=(14, 7), dpi=100)
    colours = {0: "tab:blue", 1: "tab:red"}
    for trip in trips:
        xs, ys = [], []
        for call in trip.stop_times:
            where = position.get(station[call.stop_id])
            if where is None:
                continue
            xs += [call.arrival_s, call.departure_s]
            ys += [where, where]
        if len(xs) >= 2:
            ax.plot(xs, ys, color=colours.get(trip.direction_id or 0, "tab:gray"), linewidth=0.8, alpha=0.8)
    ticks = sorted(position.items(), key=lambda kv: kv[1])
    ax.set_yticks([d for _, d in ticks])
    ax.set_yticklabels([stops[s].name if s in stops else s for s, _ in ticks], fontsize=7)
    ax.set_ylabel("along the route (km)")
    _clock_axis(ax)
    ax.set_title(title or f"string-line chart: {', '.join(route_ids)} (blue outbound, red inbound)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_stringlines(timetable: Timetable, folder: Path) -> list[Path]:
    """One string-line chart per route, ``stringline_<route>.png``."""
    return [
        plot_stringline(timetable, [r.route_id], folder / f"stringline_{r.route_id}.png", title=f"line {r.short_name} {r.long_name}".strip())
        for r in timetable.routes
        if any(t.route_id == r.route_id for t in timetable.trips)
    ]


def plot_gantt(blocks: Sequence[Block], trips: Sequence[BlockTrip], path: Path, *, title: str = "vehicle blocks") -> Path:
    """A Gantt chart of blocks, one row per block: trips as bars coloured by line, the
    time out (pull-out to pull-in) as a thin line."""
    by_id = {t.trip_id: t for t in trips}
    lines = sorted({t.line for t in trips})
    palette = plt.get_cmap("tab10")
    colour = {line: palette(k % 10) for k, line in enumerate(lines)}
    fig, ax = plt.subplots(figsize=(14, max(3.0, 0.28 * len(blocks) + 1.5)), dpi=100)
    for row, block in enumerate(blocks):
        ax.plot([block.pull_out_s, block.pull_in_s], [row, row], color="black", linewidth=0.6)
        bars = [(by_id[t].start_s, by_id[t].end_s - by_id[t].start_s) for t in block.trips]
        ax.broken_barh(bars, (row - 0.35, 0.7), facecolors=[colour[by_id[t].line] for t in block.trips], edgecolor="white", linewidth=0.3)
    ax.set_yticks(range(len(blocks)))
    ax.set_yticklabels([f"{b.block_id} (vehicle {b.vehicle + 1})" for b in blocks], fontsize=7)
    ax.invert_yaxis()
    _clock_axis(ax)
    for line in lines:
        ax.plot([], [], color=colour[line], linewidth=6, label=f"line {line}")
    ax.legend(loc="upper right", fontsize=8, ncols=min(len(lines), 6))
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_duties(duties: Sequence[Duty], path: Path, *, title: str = "driver duties") -> Path:
    """A Gantt chart of duties, one row per duty: pieces as bars labelled by block, the
    spread (sign-on to sign-off) as a thin line."""
    blocks = sorted({p.block_id for d in duties for p in d.pieces})
    palette = plt.get_cmap("tab20")
    colour = {b: palette(k % 20) for k, b in enumerate(blocks)}
    fig, ax = plt.subplots(figsize=(14, max(3.0, 0.28 * len(duties) + 1.5)), dpi=100)
    for row, duty in enumerate(duties):
        ax.plot([duty.sign_on_s, duty.sign_off_s], [row, row], color="black", linewidth=0.6)
        for piece in duty.pieces:
            ax.broken_barh([(piece.start_s, piece.end_s - piece.start_s)], (row - 0.35, 0.7), facecolors=colour[piece.block_id])
            ax.text((piece.start_s + piece.end_s) / 2, row, piece.block_id, ha="center", va="center", fontsize=6)
    ax.set_yticks(range(len(duties)))
    ax.set_yticklabels([f"{d.duty_id} ({d.paid_s / 3600:.1f} h paid)" for d in duties], fontsize=7)
    ax.invert_yaxis()
    _clock_axis(ax)
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
