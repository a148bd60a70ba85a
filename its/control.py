"""The control protocol that signals and simulation both speak.

Signal plans are data (:class:`Phase`, :class:`TimingPlan`); adaptive logic is a
:class:`Controller` that the simulation steps every ``interval_s`` seconds through a
:class:`SimHandle`, the one door to the running simulation (libsumo in a worker process, or
a fake in tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["Controller", "Phase", "SimHandle", "TimingPlan"]


@dataclass(frozen=True)
class Phase:
    """One phase of a signal program.

    ``state`` has one character per controlled link in SUMO's alphabet (``G`` priority green,
    ``g`` permissive green, ``y`` yellow, ``r`` red, ``s`` green right-turn arrow, ``o``/``O``
    off); times are seconds.
    """

    state: str
    duration: float
    min_dur: float | None = None
    max_dur: float | None = None
    name: str = ""

    @property
    def is_yellow(self) -> bool:
        return "y" in self.state.lower() and not self.is_green

    @property
    def is_green(self) -> bool:
        return any(c in "Gg" for c in self.state)

    @property
    def is_all_red(self) -> bool:
        return all(c in "rR" for c in self.state)


@dataclass(frozen=True)
class TimingPlan:
    """A fixed-time (or actuated, with min/max) program of one signalised junction."""

    tls_id: str
    program_id: str
    phases: tuple[Phase, ...]
    offset: float = 0.0
    type: str = "static"

    @property
    def cycle_s(self) -> float:
        return sum(p.duration for p in self.phases)


@runtime_checkable
class SimHandle(Protocol):
    """What a controller may do with the running simulation."""

    def time(self) -> float:
        """Current simulation time, seconds."""
        ...

    def apply(self, domain: str, command: str, *args: Any) -> Any:
        """Call a TraCI-API command, e.g. ``apply("trafficlight", "setPhase", "J1", 2)``."""
        ...


@runtime_checkable
class Controller(Protocol):
    """Adaptive control stepped inside the simulation.

    ``start`` is called once after SUMO loaded the scenario; ``act`` every ``interval_s``
    seconds of simulated time.
    """

    interval_s: float

    def start(self, sim: SimHandle) -> None: ...

    def act(self, sim: SimHandle) -> None: ...
