"""SUMO in-process through libsumo. Imported only inside a run's worker process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libsumo

__all__ = ["LibsumoBackend", "SumoFailure", "version"]

#: What libsumo raises for SUMO's own errors (bad input, invalid commands).
SumoFailure: tuple[type[BaseException], ...] = (libsumo.TraCIException, libsumo.FatalTraCIError)


def version() -> str:
    return str(libsumo.getVersion()[1])


class LibsumoBackend:
    """The :class:`simulation.backend.SimulationBackend` on libsumo.

    ``api`` is the libsumo module itself, for controllers that subscribe to many values at
    once (subscriptions are how results are read without per-step polling).
    """

    api = libsumo

    def start(self, args: Sequence[str]) -> None:
        libsumo.start(["sumo", *args])

    def step(self, until: float) -> float:
        libsumo.simulationStep(until)
        return float(libsumo.simulation.getTime())

    def time(self) -> float:
        return float(libsumo.simulation.getTime())

    def expected(self) -> int:
        return int(libsumo.simulation.getMinExpectedNumber())

    def apply(self, domain: str, command: str, *args: Any) -> Any:
        return getattr(getattr(libsumo, domain), command)(*args)

    def close(self) -> None:
        libsumo.close()
