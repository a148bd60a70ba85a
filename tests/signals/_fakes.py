"""Stand-ins for the simulation in the adaptive controllers' unit tests: a clock and the
states set, optionally one vehicle inside the junction and someone waiting at every
pedestrian crossing."""

from __future__ import annotations

from signals.adaptive import _VAR_LANE_ID, _VAR_LANEPOSITION, _VAR_SPEED, _VAR_WAITING_TIME


class FakeSim:
    """A clock, the states set, no vehicles."""

    def __init__(self, shown: str) -> None:
        self.now, self.shown = 0.0, shown

    def time(self) -> float:
        return self.now

    def apply(self, domain: str, command: str, *args):
        if command == "setRedYellowGreenState":
            self.shown = args[1]
        elif command == "getRedYellowGreenState":
            return self.shown
        return None


class BoxSim(FakeSim):
    """One vehicle inside the junction on ``lane`` at ``speed`` while ``inside(t)``."""

    def __init__(self, shown: str, lane: str, inside, speed: float = 0.0) -> None:
        super().__init__(shown)
        self.lane, self.inside, self.speed = lane, inside, speed

    def apply(self, domain: str, command: str, *args):
        if command == "getContextSubscriptionResults":
            if not self.inside(self.now):
                return {}
            waited = 9.0 if self.speed < 0.1 else 0.0
            return {"v": {_VAR_LANE_ID: self.lane, _VAR_SPEED: self.speed, _VAR_LANEPOSITION: 1.0, _VAR_WAITING_TIME: waited}}
        return super().apply(domain, command, *args)


class WalkSim(BoxSim):
    """As :class:`BoxSim`, with someone waiting at every crossing to walk ``crossing_edge``."""

    def __init__(self, shown: str, lane: str, inside, speed: float, crossing_edge: str) -> None:
        super().__init__(shown, lane, inside, speed)
        self.crossing_edge = crossing_edge

    def apply(self, domain: str, command: str, *args):
        if command == "getLastStepPersonIDs":
            return [f"walker at {args[0]}"]
        if command == "getNextEdge":
            return self.crossing_edge
        if command == "getWaitingTime":
            return 1.0
        return super().apply(domain, command, *args)
