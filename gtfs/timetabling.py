"""The timetable: every line direction's departures over the day, chosen with CP-SAT.

Within a period the departures are evenly spaced at the period's headway; what CP-SAT
chooses is each period's offset (in steps of ``step_s`` from the period's start, so a
period starting on the hour keeps clock-face times). Between periods the gap from the last
departure of one to the first of the next must lie between the two headways (a smooth
transition; a soft rule, priced per minute outside). Within a line the departures of one
direction are placed to follow the other direction's arrivals plus the minimum layover
(shorter waits at the terminals, fewer vehicles). At a hub, *timed transfers* make one
line's arrival meet another's departure within a window, as many times as possible.

Objective, most important first: timed transfers met, smooth transitions, short terminal
waits, earlier offsets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from gtfs.headways import Period
from its.errors import InfeasibleError

__all__ = ["Direction", "Transfer", "departures"]


@dataclass(frozen=True)
class Direction:
    """A line direction: headway (minutes) and run time (seconds) in each period it runs,
    the time from its first stop to each hub it serves (seconds, by period), and the
    opposite direction's key for terminal waits."""

    key: str
    line: str
    headway_min: dict[str, float]
    run_s: dict[str, float]
    hub_offset_s: dict[str, dict[str, float]]
    opposite: str | None = None


@dataclass(frozen=True)
class Transfer:
    """At ``hub``, arrivals of direction ``arrive`` should meet departures of ``depart``
    within ``min_s`` to ``max_s`` seconds."""

    hub: str
    arrive: str
    depart: str
    min_s: float = 120.0
    max_s: float = 600.0
    weight: int = 100


def departures(
    directions: Sequence[Direction],
    periods: Sequence[Period],
    *,
    layover_min_s: float = 0.0,
    transfers: Sequence[Transfer] = (),
    step_s: int = 60,
    time_limit_s: float = 10.0,
) -> dict[str, list[float]]:
    """Departure times (seconds) of each direction, by its key."""
    model = cp_model.CpModel()
    offsets: dict[tuple[str, str], cp_model.IntVar] = {}
    counts: dict[tuple[str, str], int] = {}
    order = {p.name: k for k, p in enumerate(periods)}
    by_name = {p.name: p for p in periods}
    for d in directions:
        for name, headway in d.headway_min.items():
            period = by_name[name]
            h = int(round(headway * 60))
            n = int(math.floor((period.end_s - period.start_s) / h + 1e-9))
            if n < 1:
                raise InfeasibleError(
                    f"line {d.line}, period {name}: the period ({period.hours * 60:.0f} min) is shorter than its headway ({headway:g} min)"
                )
            steps = max(1, h // step_s)
            offsets[(d.key, name)] = model.new_int_var(0, steps - 1, f"o|{d.key}|{name}")
            counts[(d.key, name)] = n

    def departure(key: str, name: str, k: int) -> cp_model.LinearExpr:
        d = next(x for x in directions if x.key == key)
        h = int(round(d.headway_min[name] * 60))
        return int(by_name[name].start_s) + k * h + step_s * offsets[(key, name)]

    objective = []
    # smooth transitions between neighbouring periods
    for d in directions:
        names = sorted(d.headway_min, key=order.__getitem__)
        for a, b in zip(names, names[1:], strict=False):
            if order[b] != order[a] + 1:
                continue
            ha, hb = (int(round(d.headway_min[x] * 60)) for x in (a, b))
            gap = departure(d.key, b, 0) - departure(d.key, a, counts[(d.key, a)] - 1)
            short = model.new_int_var(0, 86_400, "")
            long = model.new_int_var(0, 86_400, "")
            model.add(gap + short >= min(ha, hb))
            model.add(gap - long <= max(ha, hb))
            objective += [50 * short, 50 * long]
    # terminal waits: a direction departs soon after the other's arrival plus the layover
    keys = {d.key: d for d in directions}
    for d in directions:
        other = keys.get(d.opposite or "")
        if other is None:
            continue
        for name, headway in d.headway_min.items():
            if name not in other.headway_min or other.headway_min[name] != headway:
                continue
            h = int(round(headway * 60))
            arrive = departure(other.key, name, 0) + int(other.run_s[name] + layover_min_s)
            wait = model.new_int_var(0, h - 1, "")
            wraps = model.new_int_var(-4, 4 + int(other.run_s[name] // h) + 2, "")
            model.add(departure(d.key, name, 0) + wraps * h - arrive == wait)
            objective.append(wait)
    # timed transfers at hubs
    met = []
    for t in transfers:
        a, b = keys.get(t.arrive), keys.get(t.depart)
        if a is None or b is None:
            continue
        for name in a.headway_min:
            if name not in b.headway_min or t.hub not in a.hub_offset_s or t.hub not in b.hub_offset_s:
                continue
            da = int(a.hub_offset_s[t.hub].get(name, 0))
            db = int(b.hub_offset_s[t.hub].get(name, 0))
            ha, hb = (int(round(x.headway_min[name] * 60)) for x in (a, b))
            for k in range(counts[(a.key, name)]):
                options = []
                # departures of b that could fall in the window whatever the offsets
                base = int(by_name[name].start_s)
                for j in range(counts[(b.key, name)]):
                    lo = (base + j * hb + db) - (base + k * ha + da + ha)
                    hi = (base + j * hb + db + hb) - (base + k * ha + da)
                    if hi < t.min_s or lo > t.max_s:
                        continue
                    y = model.new_bool_var("")
                    diff = departure(b.key, name, j) + db - departure(a.key, name, k) - da
                    model.add(diff >= int(t.min_s)).only_enforce_if(y)
                    model.add(diff <= int(t.max_s)).only_enforce_if(y)
                    options.append(y)
                if options:
                    m = model.new_bool_var("")
                    model.add_bool_or(options).only_enforce_if(m)
                    met.append((t.weight, m))
    objective += [-w * 3600 * m for w, m in met]
    objective += [step_s * var for var in offsets.values()]
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasibleError("no timetable fits the headways and periods")
    result: dict[str, list[float]] = {d.key: [] for d in directions}
    for (key, name), var in offsets.items():
        d = keys[key]
        h = d.headway_min[name] * 60
        first = by_name[name].start_s + step_s * solver.value(var)
        result[key] += [first + k * h for k in range(counts[(key, name)])]
    return {k: sorted(v) for k, v in result.items()}
