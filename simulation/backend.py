"""The simulation backend protocol, and a deterministic fake for tests.

The real backend is :class:`simulation._libsumo.LibsumoBackend` (SUMO in-process through
libsumo, always inside a worker process); traci would implement the same four methods for
the GUI or a remote SUMO server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["FakeBackend", "SimulationBackend"]


class SimulationBackend(Protocol):
    """Start SUMO with arguments, advance it, send commands, close it."""

    def start(self, args: Sequence[str]) -> None: ...

    def step(self, until: float) -> float:
        """Advance to simulation time ``until`` (one step if it is not ahead); return the time."""
        ...

    def time(self) -> float: ...

    def expected(self) -> int:
        """Vehicles running or still to be inserted."""
        ...

    def apply(self, domain: str, command: str, *args: Any) -> Any: ...

    def close(self) -> None: ...


class FakeBackend:
    """A deterministic stand-in: time advances in whole steps and commands are recorded.

    ``vehicles`` are the departure times of the demand; each leaves ``trip_s`` after it
    departs. ``answers`` maps ``(domain, command)`` to what :meth:`apply` returns.
    """

    def __init__(
        self,
        *,
        step_length: float = 1.0,
        vehicles: Sequence[float] = (),
        trip_s: float = 60.0,
        answers: dict[tuple[str, str], Any] | None = None,
    ) -> None:
        self.step_length = step_length
        self.vehicles = sorted(vehicles)
        self.trip_s = trip_s
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.args: tuple[str, ...] = ()
        self.now = 0.0
        self.closed = False

    def start(self, args: Sequence[str]) -> None:
        self.args = tuple(args)
        if "--begin" in self.args:
            self.now = float(self.args[self.args.index("--begin") + 1])

    def step(self, until: float) -> float:
        target = until if until > self.now else self.now + self.step_length
        steps = max(1, round((target - self.now) / self.step_length))
        self.now += steps * self.step_length
        return self.now

    def time(self) -> float:
        return self.now

    def expected(self) -> int:
        return sum(1 for depart in self.vehicles if depart + self.trip_s > self.now)

    def apply(self, domain: str, command: str, *args: Any) -> Any:
        self.calls.append((domain, command, args))
        return self.answers.get((domain, command))

    def close(self) -> None:
        self.closed = True
