"""Pictures of plans (PNG): time–space diagrams of a corridor and time-of-day charts.

In a time–space diagram distance along the corridor runs up, time to the right; each signal
shows, as a bar, what its corridor movement sees (green, yellow, red) in each direction, and
vehicles released at the first signal are drawn at the speed limit, stopping where they meet
red: the green band the offsets give (or fail to give) is what engineers look for. A
time-of-day chart shows which plan each junction runs when: one bar per plan, coloured by its
cycle and labelled with its cycle and greens. A junction delay chart maps each signal's change
in delay and ranks the junctions with the most, against HCM's level-of-service bands.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from its.control import TimingPlan
from its.errors import InputError
from its.units import clock
from signals.coordinate import Pair, pairs
from signals.flows import Flows
from signals.model import GREEN, Signal, SignalNetwork
from signals.phases import green_stages
from signals.sheets import movement_name

__all__ = [
    "PLAN_PANELS",
    "STATE_COLOURS",
    "Band",
    "bandwidth",
    "corridor",
    "junction_delay_chart",
    "signal_groups",
    "signal_plan_chart",
    "time_of_day_chart",
    "time_space",
]


def _all_links(network: SignalNetwork) -> Flows:
    return Flows(links={t: (1.0,) * s.size for t, s in network.signals.items()}, source="layout", window=(0.0, 1.0))


def corridor(network: SignalNetwork, tls_ids: Sequence[str] | None = None) -> list[Pair]:
    """The consecutive pairs of a corridor: of ``tls_ids`` in that order, or else the
    longest chain of consecutive signals in the network.

    Raises
    ------
    InputError
        If two named signals are not consecutive (no road links them without another signal
        between), or the network has no two consecutive signals.
    """
    links = pairs(network, _all_links(network), list(network.signals))
    by_ends: dict[tuple[str, str], Pair] = {}
    for pair in links:
        key = (pair.upstream, pair.downstream)
        if key not in by_ends or pair.length_m < by_ends[key].length_m:
            by_ends[key] = pair
    if tls_ids:
        network.select(list(tls_ids))
        chain = []
        for a, b in zip(tls_ids, tls_ids[1:], strict=False):
            if (a, b) not in by_ends:
                raise InputError(f"signals {a} and {b} are not consecutive on a road; name a corridor in driving order")
            chain.append(by_ends[(a, b)])
        if not chain:
            raise InputError("a corridor needs at least two signals")
        return chain
    following: dict[str, list[str]] = {}
    for a, b in by_ends:
        following.setdefault(a, []).append(b)
    best: list[str] = []

    def straight(a: str, b: str, c: str) -> bool:
        """Whether a -> b -> c keeps to one road (turns by at most 35 degrees at b): a
        corridor is a street, not a walk through the grid."""
        (ax, ay), (bx, by), (cx, cy) = (network.signals[t].xy for t in (a, b, c))
        u, v = (bx - ax, by - ay), (cx - bx, cy - by)
        norm = math.hypot(*u) * math.hypot(*v)
        return norm > 0 and (u[0] * v[0] + u[1] * v[1]) / norm >= math.cos(math.radians(35.0))

    def walk(path: list[str]) -> None:
        nonlocal best
        if len(path) > len(best):
            best = list(path)
        if len(best) >= 12:
            return
        for nxt in following.get(path[-1], []):
            if nxt not in path and (len(path) < 2 or straight(path[-2], path[-1], nxt)):
                walk([*path, nxt])

    for start in sorted(following):
        walk([start])
    if len(best) < 2:
        raise InputError(f"{network.net_path.name} has no two consecutive signals to draw")
    return [by_ends[(a, b)] for a, b in zip(best, best[1:], strict=False)]


def _state_at(plan: TimingPlan, links: Sequence[int], times: np.ndarray) -> np.ndarray:
    """0 red, 1 yellow, 2 green for ``links`` at each time (seconds)."""
    codes = []
    for phase in plan.phases:
        if any(phase.state[i] in GREEN for i in links):
            code = 2
        elif any(phase.state[i] in "yY" for i in links):
            code = 1
        else:
            code = 0
        codes += [code] * max(1, int(round(phase.duration)))
    table = np.array(codes)
    return table[((times - plan.offset) % len(table)).astype(int) % len(table)]


@dataclass(frozen=True)
class Band:
    """The through band of a corridor: the seconds of a cycle in which a vehicle leaving the
    first signal on green, at the speed limit, meets green at every signal after it, in the
    corridor's direction and (where every pair also links back) the reverse one."""

    signals: tuple[str, ...]
    cycle_s: float
    forward_s: float
    reverse_s: float | None
    forward_on_green: float = 0.0
    """Link by link, the share of vehicles leaving a signal on green (evenly over its
    green) that arrive on green at the next, averaged over the corridor's links: how well
    the offsets serve platoons where no band runs end to end."""
    reverse_on_green: float | None = None

    def share(self, seconds: float | None) -> float | None:
        """A band as a share of the cycle."""
        return None if seconds is None or self.cycle_s <= 0 else seconds / self.cycle_s


def _planned_corridor(
    plans: Sequence[TimingPlan], network: SignalNetwork, tls_ids: Sequence[str] | None
) -> tuple[list[Pair], list[str], dict[str, TimingPlan]]:
    """The corridor's pairs (see :func:`corridor`), its signals in driving order and the
    plans by signal; :class:`InputError` if a corridor signal has no plan."""
    chain = corridor(network, tls_ids)
    by_id = {p.tls_id: p for p in plans}
    order = [chain[0].upstream] + [p.downstream for p in chain]
    missing = [t for t in order if t not in by_id]
    if missing:
        raise InputError(f"no plan for corridor signal(s) {', '.join(missing)}")
    return chain, order, by_id


def bandwidth(plans: Sequence[TimingPlan], network: SignalNetwork, tls_ids: Sequence[str] | None = None) -> Band:
    """The through band of a corridor (``tls_ids`` in driving order, or the longest chain;
    see :func:`corridor`) under ``plans``, over the longest cycle among them, whole seconds.

    Raises
    ------
    InputError
        As :func:`corridor`, or if a corridor signal has no plan.
    """
    chain, order, by_id = _planned_corridor(plans, network, tls_ids)
    cycles = _uncommon_cycles(order, by_id)
    if cycles:
        raise InputError(f"the corridor's signals run cycles of {cycles}: no through band repeats every cycle")
    return _corridor_band(network, chain, order, by_id, _reverse_pairs(network, order))


def _uncommon_cycles(order: Sequence[str], by_id: Mapping[str, TimingPlan]) -> str:
    """The corridor's cycles in words ("40 and 64 s") when some is not a whole part of the
    longest (plans timed junction by junction, each on its own cycle), else ""."""
    cycles = sorted({int(round(by_id[t].cycle_s)) for t in order})
    if all(c > 0 and cycles[-1] % c == 0 for c in cycles):
        return ""
    return ", ".join(f"{c}" for c in cycles[:-1]) + f" and {cycles[-1]} s"


def _reverse_pairs(network: SignalNetwork, order: Sequence[str]) -> dict[tuple[str, str], Pair]:
    """The pairs among a corridor's signals by (upstream, downstream): those running back
    along it too."""
    return {(p.upstream, p.downstream): p for p in pairs(network, _all_links(network), order)}


def _corridor_band(
    network: SignalNetwork,
    chain: Sequence[Pair],
    order: Sequence[str],
    by_id: Mapping[str, TimingPlan],
    back: Mapping[tuple[str, str], Pair],
) -> Band:
    """:func:`bandwidth` of a corridor already found (``back``: :func:`_reverse_pairs`)."""
    cycle = int(round(max(by_id[t].cycle_s for t in order)))
    starts = np.arange(cycle, dtype=float)

    def legs(steps: Sequence[Pair]) -> list[Leg]:
        return [
            (
                by_id[p.upstream],
                _through(network, p.upstream, p.feeding),
                by_id[p.downstream],
                _through(network, p.downstream, p.receiving),
                p.travel_s,
            )
            for p in steps
        ]

    forward = legs(chain)
    steps = [back.get((b, a)) for a, b in zip(order, order[1:], strict=False)][::-1]
    reverse = None if any(step is None for step in steps) else legs([p for p in steps if p is not None])
    return Band(
        tuple(order),
        float(cycle),
        _band(starts, forward),
        None if reverse is None else _band(starts, reverse),
        _on_green(starts, forward),
        None if reverse is None else _on_green(starts, reverse),
    )


def _through(network: SignalNetwork, tls_id: str, indices: Sequence[int]) -> tuple[int, ...]:
    """Of a signal's state ``indices``, those of straight-on links (the band is the through
    traffic's: a turn into the corridor from a cross street leaves in another stage); all
    of them where none goes straight on."""
    straight = tuple(
        i for i in indices if any(link.index == i and link.direction == "s" for link in network.signals[tls_id].links)
    )
    return straight or tuple(indices)


#: One link of a corridor: upstream plan and its links feeding, downstream plan and its
#: links receiving, travel time (s).
Leg = tuple[TimingPlan, tuple[int, ...], TimingPlan, tuple[int, ...], float]


def _band(starts: np.ndarray, legs: Sequence[Leg]) -> float:
    """Seconds of ``starts`` leaving the first leg's signal on green that meet green at the
    end of every leg, driving each leg in its travel time."""
    moving = _state_at(legs[0][0], legs[0][1], starts) == 2
    at = starts.copy()
    for _, _, downstream, receiving, travel in legs:
        at = at + travel
        moving &= _state_at(downstream, receiving, np.floor(at)) == 2
    return float(moving.sum())


def _on_green(starts: np.ndarray, legs: Sequence[Leg]) -> float:
    """The mean over ``legs`` of the share of seconds leaving on green that arrive on green."""
    shares = []
    for upstream, feeding, downstream, receiving, travel in legs:
        leaving = _state_at(upstream, feeding, starts) == 2
        if leaving.any():
            arriving = _state_at(downstream, receiving, np.floor(starts + travel)) == 2
            shares.append(float((leaving & arriving).sum() / leaving.sum()))
    return float(np.mean(shares)) if shares else 0.0


def time_space(
    plans: Sequence[TimingPlan],
    network: SignalNetwork,
    path: Path,
    *,
    tls_ids: Sequence[str] | None = None,
    cycles: int = 3,
    title: str = "",
    band: Band | None = None,
) -> Path:
    """Draw the time–space diagram of a corridor (``tls_ids`` in driving order, or the
    longest chain) under ``plans`` into ``path`` (PNG), titled with its through band
    (``band``, when the caller has it already)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chain, order, by_id = _planned_corridor(plans, network, tls_ids)
    position = [0.0]
    for pair in chain:
        position.append(position[-1] + pair.length_m)
    horizon = cycles * max(by_id[t].cycle_s for t in order)
    times = np.arange(0, int(horizon))
    colours = {0: "#d62728", 1: "#ffbf00", 2: "#2ca02c"}
    figure, axes = plt.subplots(figsize=(11, 1.2 + 0.9 * len(order)))
    height = max(position[-1], 1.0) * 0.025
    reverse = _reverse_pairs(network, order)
    for k, tls in enumerate(order):
        plan = by_id[tls]
        forward = _through(network, tls, chain[k - 1].receiving if k > 0 else chain[0].feeding)
        states = _state_at(plan, forward, times)
        _bar(axes, times, states, position[k] + height * 0.6, height, colours)
        if k + 1 < len(order) and (order[k + 1], tls) in reverse:
            back = _state_at(plan, _through(network, tls, reverse[(order[k + 1], tls)].receiving), times)
            _bar(axes, times, back, position[k] - height * 0.6, height, colours, alpha=0.55)
    for start in times[:: max(2, int(by_id[order[0]].cycle_s // 15))]:
        _trajectory(axes, start, chain, by_id, position, network)
    axes.set_xlim(0, horizon)
    axes.set_ylim(-height * 3, position[-1] + height * 3)
    axes.set_xlabel("time in the cycle of the plans (s)")
    axes.set_ylabel("distance along the corridor (m)")
    axes.set_yticks(position, [f"{tls[:16]}\n{x:,.0f}" for tls, x in zip(order, position, strict=True)], fontsize=8)
    uncommon = _uncommon_cycles(order, by_id)
    if uncommon:
        through = f"the signals run cycles of {uncommon}: no through band repeats every cycle"
    else:
        band = band or _corridor_band(network, chain, order, by_id, reverse)
        through = (
            f"through band {band.forward_s:g} s of a {band.cycle_s:g} s cycle forward"
            + ("" if band.reverse_s is None else f", {band.reverse_s:g} s reverse")
            + f"; link by link {band.forward_on_green:.0%} of those leaving on green arrive on green forward"
            + ("" if band.reverse_on_green is None else f", {band.reverse_on_green:.0%} reverse")
        )
    heading = title or "Time–space diagram (solid bars: forward movement, light bars: reverse)"
    # wrapped to the figure's width: a long title ran off both sides
    axes.set_title("\n".join([*textwrap.wrap(heading, 110), *textwrap.wrap(through, 110)]), fontsize=10)
    return _save(figure, path)


def time_of_day_chart(
    plans: Sequence[TimingPlan],
    schedules: Sequence[tuple[str, Sequence[tuple[float, str]]]],
    path: Path,
    *,
    end: float,
    title: str = "",
) -> Path:
    """Draw which plan each junction of ``schedules`` runs from when until ``end`` (seconds
    of the day) into ``path`` (PNG): a row per junction, a bar per plan coloured by its cycle.

    Raises
    ------
    InputError
        If there is no schedule, or one names a program not among ``plans``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not schedules:
        raise InputError("no time-of-day schedule to draw")
    by_id = {(p.tls_id, p.program_id): p for p in plans}
    missing = [(tls, program) for tls, switches in schedules for _, program in switches if (tls, program) not in by_id]
    if missing:
        raise InputError(f"{missing[0][0]}: the schedule names program {missing[0][1]!r}, which is not among the plans")
    cycles = [by_id[tls, program].cycle_s for tls, switches in schedules for _, program in switches]
    low, high = min(cycles), max(cycles)
    colours = plt.get_cmap("viridis")
    figure, axes = plt.subplots(figsize=(11, 1.2 + 0.45 * len(schedules)))
    begin = min(at for _, switches in schedules for at, _ in switches)
    for row, (tls, switches) in enumerate(schedules):
        for k, (at, program) in enumerate(switches):
            until = switches[k + 1][0] if k + 1 < len(switches) else end
            plan = by_id[tls, program]
            share = (plan.cycle_s - low) / (high - low) if high > low else 0.5
            axes.barh(row, until - at, left=at, height=0.7, color=colours(share), edgecolor="white")
            greens = "/".join(f"{s.green_s:g}" for s in green_stages(plan))
            axes.text(
                (at + until) / 2, row, f"{plan.cycle_s:g} s: {greens}", ha="center", va="center", fontsize=7,
                color="white" if share < 0.6 else "black", clip_on=True,
            )  # fmt: skip
    ticks = np.linspace(begin, end, min(9, max(2, int((end - begin) // 900) + 1)))
    axes.set_xticks(ticks, [clock(t)[:5] for t in ticks])
    axes.set_xlim(begin, end)
    axes.set_yticks(range(len(schedules)), [tls[:24] for tls, _ in schedules], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("time of day (each plan takes over at the first safe point of its cycle after the time shown)")
    scale = plt.cm.ScalarMappable(cmap=colours, norm=plt.Normalize(low, high if high > low else low + 1))
    figure.colorbar(scale, ax=axes, label="cycle (s)")
    axes.set_title(title or "Time-of-day plans: cycle and greens (s) of each plan")
    return _save(figure, path)


#: Colours of a signal state character in a signal plan chart.
STATE_COLOURS = {
    "G": "#1a9850",  # priority green
    "g": "#91cf60",  # green, giving way
    "s": "#d9ef8b",  # go after stopping
    "y": "#fee08b",
    "Y": "#fee08b",
    "u": "#fdae61",  # red-yellow
    "r": "#d73027",
    "o": "#bdbdbd",  # off, blinking
    "O": "#e0e0e0",  # off
}

#: The states a signal plan chart's legend names, in its order (those the plans show).
_STATE_NAMES = (
    ("G", "green"),
    ("g", "green, giving way"),
    ("s", "green after stopping"),
    ("y", "yellow"),
    ("u", "red-yellow"),
    ("r", "red"),
    ("o", "off, blinking (give way)"),
    ("O", "off"),
)

#: Junctions a signal plan chart draws at most (the timing sheets list every one).
PLAN_PANELS = 12


def signal_groups(plan: TimingPlan, signal: Signal) -> list[tuple[str, tuple[int, ...], str]]:
    """The signal groups of ``plan``: the links and crossings of ``signal`` that show the
    same state in every phase, each as (name, state indices, its states phase by phase).
    A group is named by its approaches and their turns ("A0A1 right+through; ...")."""
    names: dict[int, list[tuple[str, str]]] = {}
    for link in signal.links:
        names.setdefault(link.index, []).append((link.from_edge, movement_name(link.direction)))
    for crossing in signal.walkways:
        names.setdefault(crossing.index, []).append((f"crossing {crossing.edge}", ""))
    groups: dict[str, list[int]] = {}
    for index in sorted(names):
        groups.setdefault("".join(p.state[index] for p in plan.phases), []).append(index)
    out = []
    for states, indices in groups.items():
        turns: dict[str, dict[str, None]] = {}
        for i in indices:
            for edge, turn in names[i]:
                turns.setdefault(edge, {})[turn] = None
        label = "; ".join(f"{edge} {'+'.join(t for t in ways if t)}".strip() for edge, ways in turns.items())
        out.append((label, tuple(indices), states))
    return out


def signal_plan_chart(plans: Sequence[TimingPlan], network: SignalNetwork, path: Path, *, title: str = "") -> Path:
    """Draw each plan's signal groups over its cycle into ``path`` (PNG): per junction a
    panel with a row per signal group (the links and crossings that show the same state
    throughout the cycle, named by their approach and turns), coloured green, yellow, red
    second by second, and the stages' starts marked. At most :data:`PLAN_PANELS` junctions.

    Raises
    ------
    InputError
        If no plan is of a signal of ``network``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from signals.model import is_stage

    drawn = [p for p in plans if p.tls_id in network.signals and p.cycle_s > 0][:PLAN_PANELS]
    if not drawn:
        raise InputError("no plan of a signal of this network to draw")
    panels = [(plan, signal_groups(plan, network.signals[plan.tls_id])) for plan in drawn]
    heights = [1.2 + 0.28 * len(groups) for _, groups in panels]
    figure, axes = plt.subplots(
        len(panels), 1, figsize=(12, 0.9 + sum(heights)), gridspec_kw={"height_ratios": heights}, squeeze=False
    )
    for ax, (plan, groups) in zip(axes[:, 0], panels, strict=True):
        starts = np.cumsum([0.0, *(p.duration for p in plan.phases)])
        for row, (_, _, states) in enumerate(groups):
            for k, phase in enumerate(plan.phases):
                if phase.duration > 0:
                    colour = STATE_COLOURS.get(states[k], "#969696")
                    ax.barh(row, phase.duration, left=starts[k], height=0.72, color=colour, linewidth=0)
        for k, phase in enumerate(plan.phases):
            if is_stage(phase):
                ax.axvline(starts[k], color="black", linewidth=0.6, linestyle=":")
        ax.set_xlim(0, plan.cycle_s)
        ax.set_ylim(len(groups) - 0.5, -0.5)
        # as tick labels, which the layout makes room for (text beside the axes was cut off)
        names = [label if len(label) <= 48 else label[:47] + "…" for label, _, _ in groups]
        ax.set_yticks(range(len(groups)), names, fontsize=7)
        ax.tick_params(axis="y", length=0)
        ax.set_title(
            f"{plan.tls_id[:48]} — program {plan.program_id}: cycle {plan.cycle_s:g} s, offset {plan.offset:g} s",
            fontsize=9, loc="left",
        )  # fmt: skip
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("seconds into the cycle (dotted: a stage starts)")
    shown = {c for plan in drawn for phase in plan.phases for c in phase.state} | {"G", "y", "r"}
    legend = [Patch(color=STATE_COLOURS[c], label=text) for c, text in _STATE_NAMES if c in shown]
    figure.legend(handles=legend, loc="upper right", ncol=len(legend), fontsize=8, frameon=False)
    more = len([p for p in plans if p.tls_id in network.signals]) - len(drawn)
    suffix = f" (the first {len(drawn)}; {more} more in the timing sheets)" if more > 0 else ""
    figure.suptitle((title or "Signal plans: signal groups over the cycle") + suffix, x=0.01, ha="left", fontsize=11)
    return _save(figure, path, top_in=0.3)


def junction_delay_chart(
    network: SignalNetwork,
    delays: Mapping[str, tuple[float | None, float | None, float]],
    path: Path,
    *,
    labels: tuple[str, str] = ("shipped", "result"),
    title: str = "",
) -> Path:
    """Draw each signal's delay before and after a change into ``path`` (PNG). ``delays``
    maps a signal to (delay before, delay after, vehicles per hour). On the left, the map:
    each signal a dot coloured by the change in its delay (green: less) and sized by its
    traffic, with its level of service before and after; on the right, the junctions with
    the most delay, before and after, against HCM's level-of-service bands.

    Raises
    ------
    InputError
        If no signal has a delay both before and after.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.colors import TwoSlopeNorm

    from its.network import read_network
    from signals.performance import LOS_BOUNDS, level_of_service

    known = {t: (b, a, v) for t, (b, a, v) in delays.items() if b is not None and a is not None and t in network.signals}
    if not known:
        raise InputError("no signal has a delay both before and after: nothing to draw")
    figure, (where, bars) = plt.subplots(1, 2, figsize=(15, 7.5), gridspec_kw={"width_ratios": [1.25, 1]})
    roads = read_network(network.net_path)
    where.add_collection(
        LineCollection([np.asarray(e.shape) for e in roads.edges.values()], colors="#c8c8c8", linewidths=0.7)
    )
    order = sorted(known)
    xy = np.asarray([network.signals[t].xy for t in order])
    change = np.asarray([known[t][1] - known[t][0] for t in order])
    volume = np.asarray([known[t][2] for t in order])
    bound = max(1.0, float(np.max(np.abs(change))))
    dots = where.scatter(
        xy[:, 0], xy[:, 1], c=change, cmap="RdYlGn_r", norm=TwoSlopeNorm(0.0, -bound, bound),
        s=30 + 220 * np.sqrt(volume / max(1.0, float(volume.max()))), edgecolors="black", linewidths=0.5, zorder=3,
    )  # fmt: skip
    figure.colorbar(dots, ax=where, shrink=0.7, label=f"change in delay, {labels[1]} − {labels[0]} (s/vehicle)")
    if len(order) <= 40:
        for t, (x, y) in zip(order, xy, strict=True):
            before, after, _ = known[t]
            named = f"{t[:12]} " if len(order) <= 25 else ""
            where.annotate(
                f"{named}{level_of_service(before)}→{level_of_service(after)}", (x, y), xytext=(0, 8),
                textcoords="offset points", ha="center", fontsize=7,
            )  # fmt: skip
    # the signals' part of the network (a county's roads reach far beyond its signals)
    low, high = xy.min(axis=0), xy.max(axis=0)
    centre, half = (low + high) / 2, float(np.max(high - low)) / 2 * 1.12 + 150.0
    where.set_xlim(centre[0] - half, centre[0] + half)
    where.set_ylim(centre[1] - half, centre[1] + half)
    where.set_aspect("equal", adjustable="box")
    where.set_xticks([])
    where.set_yticks([])
    where.set_title("Signals: change in delay (dot size: vehicles per hour; letters: level of service)", fontsize=9)
    worst = sorted(known, key=lambda t: max(known[t][0], known[t][1]), reverse=True)[:20]
    rows = np.arange(len(worst))
    before = [known[t][0] for t in worst]
    after = [known[t][1] for t in worst]
    bars.barh(rows - 0.2, before, height=0.4, color="#8c9fb7", label=labels[0])
    bars.barh(rows + 0.2, after, height=0.4, color="#e07b39", label=labels[1])
    top = max(max(before), max(after)) * 1.08
    lower = 0.0
    for letter, upper in (*LOS_BOUNDS, ("F", max(top, LOS_BOUNDS[-1][1] + 10.0))):
        if lower >= top:
            break
        if upper < top:
            bars.axvline(upper, color="#999999", linewidth=0.6, linestyle=":")
        if min(upper, top) - lower > 0.04 * top:  # no letter squeezed into a sliver
            bars.text((lower + min(upper, top)) / 2, -0.9, letter, ha="center", va="center", fontsize=8, color="#666666")
        lower = upper
    bars.set_xlim(0, top)
    bars.set_yticks(rows, [t[:22] for t in worst], fontsize=8)
    bars.set_ylim(len(worst) - 0.4, -1.3)
    bars.set_xlabel("delay on the approaches (s/vehicle); letters: HCM level of service")
    bars.legend(loc="lower right", fontsize=8)
    bars.set_title(f"The {len(worst)} junctions with the most delay", fontsize=9)
    figure.suptitle(title or "Delay per signalised junction")
    return _save(figure, path)


def _save(figure, path: Path, *, top_in: float = 0.0) -> Path:  # type: ignore[no-untyped-def]
    """Lay out ``figure`` (``top_in`` inches kept free above the panels, for a title over
    them all) and write it to ``path`` as a PNG."""
    import matplotlib.pyplot as plt

    figure.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - top_in / figure.get_figheight()))
    path.parent.mkdir(parents=True, exist_ok=True)
    # "tight": whatever the layout left outside the figure (a long label) is kept in the PNG
    figure.savefig(path, dpi=120, bbox_inches="tight", pad_inches=0.1)
    plt.close(figure)
    return path


def _bar(axes, times, states, y, height, colours, alpha=1.0) -> None:  # type: ignore[no-untyped-def]
    start = 0
    for t in range(1, len(times) + 1):
        if t == len(times) or states[t] != states[start]:
            axes.barh(y, t - start, left=times[start], height=height, color=colours[int(states[start])], alpha=alpha, linewidth=0)
            start = t


def _trajectory(axes, start, chain, plans, position, network) -> None:  # type: ignore[no-untyped-def]
    """A through vehicle leaving the first signal at ``start`` if it shows green there."""
    first = plans[chain[0].upstream]
    if _state_at(first, _through(network, chain[0].upstream, chain[0].feeding), np.array([start]))[0] != 2:
        return
    t, xs, ts = float(start), [position[0]], [float(start)]
    for k, pair in enumerate(chain):
        t += pair.travel_s
        xs.append(position[k + 1])
        ts.append(t)
        plan = plans[pair.downstream]
        wait = 0
        receiving = _through(network, pair.downstream, pair.receiving)
        while _state_at(plan, receiving, np.array([t + wait]))[0] != 2 and wait < plan.cycle_s:
            wait += 1
        if wait:
            t += wait
            xs.append(position[k + 1])
            ts.append(t)
    axes.plot(ts, xs, color="#1f77b4", linewidth=0.8, alpha=0.7)
