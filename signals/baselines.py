"""The two classic adaptive rules every new controller must beat: greedy (serve the green
with the most vehicles near the stop line) and max-pressure (serve the green whose movements
have the most vehicles upstream minus downstream).

Both count vehicles along the whole approach back to the previous signal (up to ``reach_m``
from the stop line), decide every ``decide_every_s`` seconds after the minimum green, and
switch through the shared yellow and all-red transitions of :mod:`signals.adaptive`.
"""

from __future__ import annotations

from dataclasses import dataclass

from signals.adaptive import HALTING_SPEED, Observation, SignalState
from signals.approach import Approach
from signals.phases import Timing

__all__ = ["Greedy", "MaxPressure", "lane_counts"]


def lane_counts(approach: Approach, obs: Observation, reach_m: float, *, halting_only: bool = False) -> list[float]:
    """Vehicles per incoming lane within ``reach_m`` of the stop line; vehicles further up an
    approach's chain of edges are shared evenly among that approach's lanes."""
    counts = [0.0] * len(approach.lanes)
    for i, vehicles in enumerate(obs.lanes):
        counts[i] = sum(1 for d, v, _ in vehicles if d <= reach_m and (not halting_only or v < HALTING_SPEED))
    for k, vehicles in enumerate(obs.upstream):
        lanes = approach.edge_lanes[k]
        n = sum(1 for d, v, _ in vehicles if d <= reach_m and (not halting_only or v < HALTING_SPEED))
        n += obs.pending[k] if reach_m >= approach.approach_length[k] else 0
        if n and lanes:
            for i in lanes:
                counts[i] += n / len(lanes)
    return counts


def _best(values: list[float], current: int) -> int:
    top = max(values)
    return current if values[current] >= top - 1e-9 else values.index(top)


@dataclass(frozen=True)
class Greedy:
    """Serve the green with the most vehicles within ``reach_m`` of the stop line on the
    lanes it serves (RESCO's greedy/max-wave rule)."""

    decide_every_s: float = 5.0
    reach_m: float = 100.0
    halting_only: bool = False

    def choose(self, approach: Approach, obs: Observation, state: SignalState, timing: Timing) -> int:
        counts = lane_counts(approach, obs, self.reach_m, halting_only=self.halting_only)
        values = [0.0] * len(approach.greens)
        for i, phases in enumerate(approach.lane_phases):
            for p in phases:
                values[p] += counts[i]
        return _best(values, state.current)


@dataclass(frozen=True)
class MaxPressure:
    """Serve the green with the highest pressure: over its green links, vehicles on the
    incoming lane within ``reach_m`` of the stop line minus the queue on the outgoing lane
    (Varaiya's rule). The outgoing queue is every vehicle standing on the exit, however far
    down, and every vehicle within ``reach_m`` of the junction: counting the traffic moving
    away down a long exit would set it against the queue waiting to join it."""

    decide_every_s: float = 5.0
    reach_m: float = 100.0
    halting_only: bool = False

    def choose(self, approach: Approach, obs: Observation, state: SignalState, timing: Timing) -> int:
        counts = lane_counts(approach, obs, self.reach_m, halting_only=self.halting_only)
        out = [
            sum(1 for d, v in vehicles if v < HALTING_SPEED or (d <= self.reach_m and not self.halting_only))
            for vehicles in obs.outgoing
        ]
        values = [0.0] * len(approach.greens)
        for p, green in enumerate(approach.greens):
            values[p] = sum(counts[i] - out[j] for i, j, index in approach.links if green[index] in "Gg")
        return _best(values, state.current)
