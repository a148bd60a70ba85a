"""Deadhead travel times between terminals and depots: how long a bus takes to drive empty
from one place to another, leaving at a given time of day.

Two sources: a table of times by time-of-day slot (the road network's travel times, e.g.
from a SUMO network and a simulation's measured speeds, composed in ``api/services.py``),
or straight-line distance at a stated speed with a detour factor when no network is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from gtfs.terminals import Place, haversine_m
from its.errors import InputError

__all__ = ["SlotTable", "StraightLine", "TravelTimes", "seconds"]


class TravelTimes(Protocol):
    """Deadhead times between places (terminals and depots), by time-of-day slot."""

    def stack(self) -> np.ndarray:
        """Seconds from every place to every place, one matrix per slot: (slots, places, places)."""
        ...

    def slot_of(self, at_s: np.ndarray) -> np.ndarray:
        """The slot index of departures at ``at_s`` (seconds after midnight)."""
        ...


def seconds(travel: TravelTimes, origin: int, destination: int, at_s: float) -> float:
    """Deadhead seconds from one place to another, leaving at ``at_s``."""
    slot = int(travel.slot_of(np.array([at_s], dtype=float))[0])
    return float(travel.stack()[slot, origin, destination])


@dataclass(frozen=True)
class StraightLine:
    """Straight-line distance times ``detour`` at ``speed_kmh``, the same all day.

    Parameters
    ----------
    places
        The places, in the order the matrix uses.
    speed_kmh
        Average deadhead speed, km/h.
    detour
        Road distance per straight-line distance (about 1.3 in a street grid).
    """

    places: Sequence[Place]
    speed_kmh: float = 25.0
    detour: float = 1.3
    _stack: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.speed_kmh > 0:
            raise InputError(f"deadhead speed must be positive, got {self.speed_kmh} km/h")
        if not self.detour >= 1:
            raise InputError(f"detour factor must be at least 1, got {self.detour}")
        lon = np.array([p.lon for p in self.places], dtype=float)
        lat = np.array([p.lat for p in self.places], dtype=float)
        metres = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) * self.detour
        times = metres / (self.speed_kmh / 3.6)
        # a place without coordinates cannot be reached by deadhead
        times = np.where(np.isnan(times), np.inf, np.ceil(times))
        np.fill_diagonal(times, 0.0)
        object.__setattr__(self, "_stack", times[None, :, :])

    def stack(self) -> np.ndarray:
        return self._stack

    def slot_of(self, at_s: np.ndarray) -> np.ndarray:
        return np.zeros(len(np.atleast_1d(at_s)), dtype=np.int64)


@dataclass(frozen=True)
class SlotTable:
    """Travel times by time-of-day slot: ``seconds[k]`` holds for departures from
    ``starts[k]`` until the next slot's start (the first slot also covers earlier times).

    ``seconds`` has shape (slots, places, places); ``inf`` marks an unreachable pair. A
    table whose slots all start before 24:00 is a daily one: times past midnight wrap.
    """

    starts: np.ndarray
    seconds: np.ndarray

    def __post_init__(self) -> None:
        starts = np.asarray(self.starts, dtype=float)
        times = np.asarray(self.seconds, dtype=float)
        if times.ndim != 3 or times.shape[0] != len(starts) or times.shape[1] != times.shape[2]:
            raise InputError(f"a travel-time table needs (slots, places, places) times; got {times.shape} for {len(starts)} slots")
        if len(starts) > 1 and np.any(np.diff(starts) <= 0):
            raise InputError("travel-time slots must start at increasing times")
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "seconds", np.ceil(times))

    def stack(self) -> np.ndarray:
        return self.seconds

    def slot_of(self, at_s: np.ndarray) -> np.ndarray:
        at = np.asarray(at_s, dtype=float)
        if len(self.starts) and self.starts[-1] < 86_400.0:
            at = at % 86_400.0  # a daily table: 25:10 is 01:10 on the road
        return np.maximum(np.searchsorted(self.starts, at, side="right") - 1, 0)
