"""Demand at the signals: vehicles per hour on every controlled link, from detector counts
or from the scenario's demand (its routes), and which of the two it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from its.errors import InputError
from signals.model import Signal, SignalNetwork

__all__ = ["Flows", "demand_flows", "from_lane_counts", "from_movements", "require_flows"]


@dataclass(frozen=True)
class Flows:
    """Vehicles per hour on each controlled link (indexed like the state string).

    ``source`` is ``"detectors"`` or ``"demand"``; ``detail`` says what was counted.
    """

    links: Mapping[str, tuple[float, ...]]
    source: str
    window: tuple[float, float]
    detail: str = ""

    def of(self, tls_id: str) -> tuple[float, ...]:
        return self.links.get(tls_id, ())

    def lane_flows(self, signal: Signal) -> dict[str, float]:
        """Vehicles per hour per incoming lane of ``signal``."""
        flows = self.of(signal.tls_id)
        out: dict[str, float] = {}
        for link in signal.links:
            value = flows[link.index] / _links_sharing_index(signal, link.index) if flows else 0.0
            out[link.from_lane] = out.get(link.from_lane, 0.0) + value
        return out

    def total(self, tls_id: str) -> float:
        return float(sum(self.of(tls_id)))


def _links_sharing_index(signal: Signal, index: int) -> int:
    return sum(1 for link in signal.links if link.index == index)


def from_movements(
    network: SignalNetwork,
    movements: Mapping[tuple[str, str], float],
    *,
    hours: float,
    window: tuple[float, float],
    source: str = "demand",
    detail: str = "",
) -> Flows:
    """Link flows from vehicles per (incoming edge, outgoing edge) movement over ``hours``.

    A movement served by several links (one per lane) is shared evenly among them.
    """
    if hours <= 0:
        raise InputError("the flow window must last longer than zero seconds")
    links: dict[str, tuple[float, ...]] = {}
    for tls_id, signal in network.signals.items():
        flows = [0.0] * signal.size
        by_movement: dict[tuple[str, str], list[int]] = {}
        for link in signal.links:
            by_movement.setdefault((link.from_edge, link.to_edge), []).append(link.index)
        for movement, indices in by_movement.items():
            count = movements.get(movement, 0.0)
            if count:
                for index in indices:
                    flows[index] += count / hours / len(indices)
        links[tls_id] = tuple(flows)
    return Flows(links=links, source=source, window=window, detail=detail)


def from_lane_counts(
    network: SignalNetwork,
    lane_flows: Mapping[str, float],
    *,
    window: tuple[float, float],
    turning: Flows | None = None,
    detail: str = "",
) -> Flows:
    """Link flows from vehicles per hour counted on incoming lanes (detector readings).

    A lane's count is split over its links in the proportions of ``turning`` (the demand's
    turning movements) where that has traffic on the lane, else evenly.
    """
    links: dict[str, tuple[float, ...]] = {}
    for tls_id, signal in network.signals.items():
        flows = [0.0] * signal.size
        prior = turning.of(tls_id) if turning is not None else ()
        for lane in signal.incoming_lanes:
            count = lane_flows.get(lane)
            if not count:
                continue
            own = signal.links_of_lane(lane)
            weights = [prior[link.index] if prior else 0.0 for link in own]
            total = sum(weights)
            for link, weight in zip(own, weights, strict=True):
                flows[link.index] += count * (weight / total if total > 0 else 1.0 / len(own))
        links[tls_id] = tuple(flows)
    return Flows(links=links, source="detectors", window=window, detail=detail)


def demand_flows(network: SignalNetwork, route_files: Iterable[Path], *, begin: float, end: float) -> Flows:
    """Link flows from the vehicles of routed demand files departing in ``[begin, end)``.

    Raises
    ------
    InputError
        If some vehicles have no route yet (``<trip>`` elements: route them with duarouter
        first) or the files hold no vehicle in the window.
    """
    from signals._routes import count_movements

    files = list(route_files)
    counts = count_movements(files, begin=begin, end=end)
    if counts.unrouted:
        raise InputError(
            f"{counts.unrouted} vehicles in the demand have no route (trips); route them with duarouter first"
        )
    if counts.vehicles <= 0:
        raise InputError(f"the demand has no vehicle departing between {begin:g} s and {end:g} s")
    return from_movements(
        network,
        counts.pairs,
        hours=(end - begin) / 3600.0,
        window=(begin, end),
        source="demand",
        detail=f"{counts.vehicles:,.0f} vehicles departing in the window",
    )


def require_flows(flows: Flows, signals: Iterable[Signal]) -> None:
    """Raise :class:`InputError` naming the signals whose approaches carry no traffic."""
    empty = [s.tls_id for s in signals if flows.total(s.tls_id) <= 0]
    if empty:
        raise InputError(
            f"no flows for junction(s) {', '.join(empty[:8])} between {flows.window[0]:g} s and "
            f"{flows.window[1]:g} s ({flows.source}); choose another window or leave them out with --tls"
        )
