"""Gap-based actuated control, as field controllers run it: a green is extended while
vehicles keep arriving within the passage time, up to the maximum green; then the next green
in the cycle that has a call (a vehicle waiting or approaching) is served.

The detection zone runs up the whole approach, not only the last edge: real approaches are
chains of short edges (on ingolstadt7 one is 1 m long, so its queue stands on the edge before
it; watching the last edge alone never placed a call there and starved that road).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from signals.adaptive import HALTING_SPEED, Observation, SignalState
from signals.approach import Approach
from signals.phases import Timing

__all__ = ["Actuated"]


@dataclass(frozen=True)
class Actuated:
    """Actuated control (the controller ``actuated``).

    Parameters
    ----------
    decide_every_s
        Seconds between checks once the minimum green is over.
    passage_s
        A vehicle this many seconds (at its speed) from the stop line extends the green.
    detector_m
        Length of the detection zone before the stop line, metres (calls and extensions).
    max_green_s
        Longest green while another green has a call (``timing.max_green_s`` if shorter).
    """

    decide_every_s: float = 1.0
    passage_s: float = 3.0
    detector_m: float = 30.0
    max_green_s: float = 40.0

    def choose(self, approach: Approach, obs: Observation, state: SignalState, timing: Timing) -> int:
        current = state.current
        green = approach.greens[current]
        green_for = obs.time - state.green_since
        if green_for < min(self.max_green_s, timing.max_green_s) and self._extends(approach, obs, green, green_for):
            return current
        n = len(approach.greens)
        for step in range(1, n):
            candidate = (current + step) % n
            if self._called(approach, obs, candidate):
                return candidate
        return current

    def _extends(self, approach: Approach, obs: Observation, green: str, green_for: float) -> bool:
        current = approach.greens.index(green)
        starting = green_for < timing_start(self)
        for d, v in _detected(approach, obs, current, self.detector_m):
            if v >= 1.0 and d / v <= self.passage_s:
                return True
            if starting and v < HALTING_SPEED and d < 10.0:
                return True  # the queue has not started to move yet
        return False

    def _called(self, approach: Approach, obs: Observation, phase: int) -> bool:
        return next(_detected(approach, obs, phase, self.detector_m), None) is not None


def _detected(approach: Approach, obs: Observation, phase: int, zone_m: float) -> Iterator[tuple[float, float]]:
    """(distance to the stop line, speed) of the vehicles within ``zone_m`` of the stop line
    on the lanes ``phase`` serves, and on the edges up the approach chain whose every lane it
    serves (a vehicle up the chain has not chosen its lane yet)."""
    for i, vehicles in enumerate(obs.lanes):
        if phase in approach.lane_phases[i]:
            yield from ((d, v) for d, v, _ in vehicles if d <= zone_m)
    for k, vehicles in enumerate(obs.upstream):
        served = [phase in approach.lane_phases[i] for i in approach.edge_lanes[k]]
        if served and all(served):
            yield from ((d, v) for d, v, _ in vehicles if d <= zone_m)


def timing_start(policy: Actuated) -> float:
    """Seconds after the start of a green during which a standing queue still extends it."""
    return 3.0 * policy.passage_s
