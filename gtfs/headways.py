"""Frequency setting: a headway for every line and time period, chosen with CP-SAT.

Each line direction must carry its demand at the maximum load point under the load
standard (``60 / headway x capacity x load factor`` passengers an hour, at least the busiest
hour of the period), within the policy headway (the longest allowed) and the minimum
headway; the vehicles the line needs in a period (its cycle, both run times and two
minimum layovers, over the headway) must fit the fleet limit in every period together.
Among those, CP-SAT minimises vehicle hours, with a small price on headways that do not
divide the hour (clock-face headways are easier to remember) and on headway changes
between neighbouring periods.

Whatever cannot be met is said before solving: which line and period, and why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from its.errors import InfeasibleError, InputError

__all__ = ["LineDemand", "Period", "ServiceStandards", "choose_headways"]


@dataclass(frozen=True)
class Period:
    """A time period of the day, seconds after midnight."""

    name: str
    start_s: float
    end_s: float

    @property
    def hours(self) -> float:
        return (self.end_s - self.start_s) / 3600.0


@dataclass(frozen=True)
class ServiceStandards:
    """Headway bounds (minutes), the vehicle and the load standard.

    ``clockface`` lists the headways preferred (dividing 60); ``clockface_only`` allows no
    others. ``change_penalty`` and ``non_clockface_penalty`` are in vehicle-hours.
    """

    policy_headway_min: float = 30.0
    min_headway_min: float = 5.0
    capacity: int = 60
    load_factor: float = 0.85
    clockface: tuple[float, ...] = (5.0, 6.0, 7.5, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)
    clockface_only: bool = False
    non_clockface_penalty: float = 0.5
    change_penalty: float = 0.1

    def __post_init__(self) -> None:
        if self.min_headway_min <= 0 or self.policy_headway_min < self.min_headway_min:
            raise InputError(
                f"service standards: the policy headway ({self.policy_headway_min:g} min) must be at least the minimum headway ({self.min_headway_min:g} min), which must be positive"
            )
        if self.capacity <= 0 or not 0 < self.load_factor <= 1.5:
            raise InputError("service standards: capacity must be positive and the load factor within (0, 1.5]")

    def candidates(self) -> list[float]:
        """Headways (minutes) allowed: clock-face ones within the bounds, and whole minutes."""
        lo, hi = self.min_headway_min, self.policy_headway_min
        values = {h for h in self.clockface if lo - 1e-9 <= h <= hi + 1e-9}
        if not self.clockface_only:
            values |= {float(m) for m in range(math.ceil(lo), math.floor(hi) + 1)}
        return sorted(values)

    def hourly_capacity(self, headway_min: float) -> float:
        """Passengers an hour one direction carries at this headway under the load standard."""
        return 60.0 / headway_min * self.capacity * self.load_factor


@dataclass(frozen=True)
class LineDemand:
    """What a line needs in each period: the heavier direction's load at the maximum load
    point (passengers an hour, the busiest hour of the period) and its cycle time (both
    run times plus two minimum layovers, seconds)."""

    line: str
    peak_load: dict[str, float]
    cycle_s: dict[str, float]


def _vehicles(cycle_s: float, headway_min: float) -> int:
    return math.ceil(cycle_s / (headway_min * 60.0) - 1e-9)


def choose_headways(
    lines: Sequence[LineDemand],
    periods: Sequence[Period],
    standards: ServiceStandards,
    *,
    fleet_limit: int | None = None,
    time_limit_s: float = 10.0,
) -> dict[tuple[str, str], float]:
    """The headway (minutes) of every (line, period) in which the line runs.

    A line runs in a period when it has a cycle time for it. Raises
    :class:`its.errors.InfeasibleError` naming the line and period when demand cannot be
    carried within the minimum headway, or the period whose lines need more vehicles at
    their longest feasible headways than the fleet limit.
    """
    candidates = standards.candidates()
    if not candidates:
        raise InfeasibleError(
            f"no headway is allowed between {standards.min_headway_min:g} and {standards.policy_headway_min:g} min with clock-face headways only"
        )
    options: dict[tuple[str, str], list[float]] = {}
    for line in lines:
        for period in periods:
            if period.name not in line.cycle_s:
                continue
            load = line.peak_load.get(period.name, 0.0)
            fits = [h for h in candidates if standards.hourly_capacity(h) + 1e-9 >= load]
            if not fits:
                best = standards.hourly_capacity(candidates[0])
                raise InfeasibleError(
                    f"line {line.line}, period {period.name}: {load:,.0f} passengers an hour at the maximum load point need more than "
                    f"the {best:,.0f} an hour the minimum headway of {candidates[0]:g} min carries "
                    f"({standards.capacity} places x load factor {standards.load_factor:g}); "
                    "allow a shorter headway, bigger vehicles or a higher load factor"
                )
            options[(line.line, period.name)] = fits
    if fleet_limit is not None:
        for period in periods:
            need = {
                line.line: _vehicles(line.cycle_s[period.name], max(options[(line.line, period.name)]))
                for line in lines
                if (line.line, period.name) in options
            }
            if sum(need.values()) > fleet_limit:
                detail = ", ".join(f"line {k} {v}" for k, v in need.items())
                raise InfeasibleError(
                    f"period {period.name}: the lines need at least {sum(need.values())} vehicles at their longest "
                    f"headways meeting demand ({detail}) but the fleet limit is {fleet_limit}; raise the fleet limit, "
                    "the policy headway or the load factor"
                )
    model = cp_model.CpModel()
    chosen: dict[tuple[str, str, float], cp_model.IntVar] = {}
    for (line, period), fits in options.items():
        for h in fits:
            chosen[(line, period, h)] = model.new_bool_var(f"{line}|{period}|{h}")
        model.add_exactly_one(chosen[(line, period, h)] for h in fits)
    cycle = {line.line: line.cycle_s for line in lines}
    hours = {p.name: p.hours for p in periods}
    if fleet_limit is not None:
        for period in periods:
            terms = [
                _vehicles(cycle[line][period.name], h) * var for (line, p, h), var in chosen.items() if p == period.name
            ]
            if terms:
                model.add(sum(terms) <= fleet_limit)
    scale = 100  # hundredths of a vehicle-hour
    objective = []
    for (line, period, h), var in chosen.items():
        cost = _vehicles(cycle[line][period], h) * hours[period]
        if h not in standards.clockface:
            cost += standards.non_clockface_penalty
        objective.append(int(round(cost * scale)) * var)
    # neighbouring periods of a line prefer the same headway
    names = [p.name for p in periods]
    for line in lines:
        for a, b in zip(names, names[1:], strict=False):
            if (line.line, a) in options and (line.line, b) in options:
                for h in options[(line.line, a)]:
                    if h in options[(line.line, b)]:
                        same = model.new_bool_var("")
                        model.add_implication(same, chosen[(line.line, a, h)])
                        model.add_implication(same, chosen[(line.line, b, h)])
                        objective.append(-int(round(standards.change_penalty * scale)) * same)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasibleError("no set of headways meets demand within the fleet limit in every period; raise the fleet limit")
    return {(line, period): h for (line, period, h), var in chosen.items() if solver.boolean_value(var)}
