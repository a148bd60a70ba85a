"""Driver duties (run-cutting): the blocks cut into pieces of work at relief points and the
pieces combined into duties that keep the driver rules, chosen by CP-SAT as a set
partitioning of the work (the linear relaxation with GLOP first, which is often integral).

Each block is a row of *units*: a trip and the layover after it, from the departure (the
pull-out for the first) to the next departure (the pull-in for the last). A driver can be
relieved between two units, at the terminal where the vehicle is. A *piece* is a run of
units of one block; a *duty* is one piece, or two pieces with a break between them (a
*split* duty). The rules: no stretch of work without a rest longer than the maximum
driving time (a layover of at least the break length inside a piece is a rest), no more
work than the maximum duty, no longer day than the maximum spread, a break of at least the
break length between pieces. A duty shorter than the minimum is paid the minimum (it stays
allowed, so every schedule can be cut). The objective: fewest duties, then least paid time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model
from scipy import sparse

from gtfs.blocks import Block, BlockTrip
from gtfs.deadheads import TravelTimes
from its.errors import InfeasibleError, InputError

__all__ = ["DriverRules", "Duty", "Piece", "Rostering", "cut_duties"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriverRules:
    """The rules a duty keeps, in seconds."""

    max_spread_s: float = 12 * 3600.0
    max_driving_s: float = 4.5 * 3600.0
    break_s: float = 30 * 60.0
    min_duty_s: float = 4 * 3600.0
    max_duty_s: float = 9 * 3600.0
    sign_on_s: float = 10 * 60.0
    sign_off_s: float = 10 * 60.0
    split_duties: bool = True

    def __post_init__(self) -> None:
        if self.max_driving_s <= 0 or self.max_duty_s <= 0 or self.max_spread_s <= 0:
            raise InputError("driver rules: maximum driving, duty and spread must be positive")
        if self.min_duty_s > self.max_duty_s:
            raise InputError(
                f"driver rules: the minimum duty ({self.min_duty_s / 3600:g} h) is longer than the maximum ({self.max_duty_s / 3600:g} h)"
            )
        if self.max_duty_s > self.max_spread_s:
            raise InputError("driver rules: the maximum duty cannot be longer than the maximum spread")


@dataclass(frozen=True)
class Piece:
    """A driver's stretch on one vehicle: trips of a block from ``start_s`` to ``end_s``."""

    block_id: str
    trips: tuple[str, ...]
    start_s: float
    end_s: float
    start_place: int
    end_place: int


@dataclass(frozen=True)
class Duty:
    """One driver's day: sign-on, pieces, sign-off; ``paid_s`` is never below the minimum."""

    duty_id: str
    pieces: tuple[Piece, ...]
    sign_on_s: float
    sign_off_s: float
    worked_s: float
    paid_s: float

    @property
    def spread_s(self) -> float:
        return self.sign_off_s - self.sign_on_s


@dataclass(frozen=True)
class Rostering:
    """The duties cut from a set of blocks."""

    duties: tuple[Duty, ...]
    paid_hours: float
    solve_time_s: float
    optimal: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "duties": len(self.duties),
            "paid_hours": round(self.paid_hours, 3),
            "split_duties": sum(len(d.pieces) > 1 for d in self.duties),
            "optimal": self.optimal,
            "solve_time_s": round(self.solve_time_s, 3),
        }


@dataclass(frozen=True)
class _Unit:
    block: int
    start: float
    end: float  # when the vehicle leaves for the next trip (the pull-in for the last)
    start_place: int
    end_place: int
    rest_after: float  # the wait before leaving (0 for the last)
    trip: str
    parked: bool  # the wait is long enough to leave the vehicle: a piece may end at the arrival

    @property
    def finish(self) -> float:
        """When a driver whose piece ends here is free."""
        return self.end - self.rest_after if self.parked else self.end


def _units(blocks: Sequence[Block], trips: Mapping[str, BlockTrip], travel: TravelTimes | None, parked_s: float) -> list[list[_Unit]]:
    """Each block as units: a trip and the wait after it, up to the moment the vehicle
    leaves for its next trip (deadheading just in time when the next starts elsewhere)."""
    stack = travel.stack() if travel is not None else None
    rows = []
    for b, block in enumerate(blocks):
        calls = [trips[t] for t in block.trips]
        leaves = []  # when the vehicle leaves after each trip
        for k, trip in enumerate(calls[:-1]):
            nxt = calls[k + 1]
            drive = 0.0
            if trip.end_place != nxt.start_place and stack is not None:
                slot = int(travel.slot_of(np.array([trip.end_s]))[0]) if travel is not None else 0
                drive = float(stack[slot, trip.end_place, nxt.start_place])
            leaves.append(max(nxt.start_s - drive, trip.end_s))
        row = []
        for k, trip in enumerate(calls):
            begin = block.pull_out_s if k == 0 else leaves[k - 1]
            if k + 1 < len(calls):
                end, rest = leaves[k], leaves[k] - trip.end_s
            else:
                end, rest = block.pull_in_s, 0.0
            row.append(_Unit(b, begin, end, trip.start_place, trip.end_place, rest, trip.trip_id, rest >= parked_s))
        rows.append(row)
    return rows


def _pieces(row: list[_Unit], rules: DriverRules) -> list[tuple[int, int]]:
    """Runs (first, last unit) of a block that keep the driving rule and the duty length."""
    overhead = rules.sign_on_s + rules.sign_off_s
    pieces = []
    for a in range(len(row)):
        stretch = 0.0
        for b in range(a, len(row)):
            unit = row[b]
            work = unit.end - unit.start - unit.rest_after
            if stretch + work > rules.max_driving_s or unit.finish - row[a].start + overhead > rules.max_duty_s:
                break
            pieces.append((a, b))
            # a layover as long as a break is a rest; a shorter one is still work
            stretch = 0.0 if unit.rest_after >= rules.break_s else stretch + work + unit.rest_after
    return pieces


def cut_duties(
    blocks: Sequence[Block],
    trips: Sequence[BlockTrip],
    rules: DriverRules = DriverRules(),
    *,
    travel: TravelTimes | None = None,
    duty_cost_s: float | None = None,
    time_limit_s: float = 20.0,
) -> Rostering:
    """Cut ``blocks`` into duties under ``rules``.

    Parameters
    ----------
    blocks, trips
        The blocks and the trips they hold.
    rules
        The driver rules.
    travel
        Times between places, for a driver going to another terminal during a break;
        without it the second piece of a split duty starts where the first ended.
    duty_cost_s
        What a duty costs in paid seconds; default the maximum duty, so fewer duties come
        first.
    time_limit_s
        CP-SAT's time limit; the best duties found by then are returned.

    Raises
    ------
    InfeasibleError
        If some stretch of a block cannot be worked by any duty (a trip longer than the
        maximum driving time without a rest, say), naming the trip.
    """
    started = time.perf_counter()
    by_id = {t.trip_id: t for t in trips}
    rows = _units(blocks, by_id, travel, rules.break_s)
    pieces: list[tuple[int, int, int]] = []  # (block, first unit, last unit)
    for b, row in enumerate(rows):
        found = _pieces(row, rules)
        covered = {u for a, z in found for u in range(a, z + 1)}
        for u, unit in enumerate(row):
            if u not in covered:
                raise InfeasibleError(
                    f"trip {unit.trip} of block {blocks[b].block_id} cannot be driven by any duty: it runs "
                    f"{(unit.end - unit.start - unit.rest_after) / 3600:.2f} h without a rest, more than the {rules.max_driving_s / 3600:g} h "
                    "of driving allowed before a break (or the maximum duty); allow longer driving or split the trip"
                )
        pieces += [(b, a, z) for a, z in found]
    start = np.array([rows[b][a].start for b, a, _ in pieces])
    end = np.array([rows[b][z].finish for b, _, z in pieces])
    length = end - start
    if rules.split_duties:
        firsts, seconds = _split_pairs(pieces, rows, start, end, length, rules, travel)
    else:
        firsts = seconds = np.zeros(0, np.int64)
    return _generate(pieces, rows, blocks, rules, length, firsts, seconds, duty_cost_s, time_limit_s, started)


def _split_pairs(
    pieces: list[tuple[int, int, int]],
    rows: list[list[_Unit]],
    start: np.ndarray,
    end: np.ndarray,
    length: np.ndarray,
    rules: DriverRules,
    travel: TravelTimes | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every (first, second) piece pair that makes a split duty under the rules."""
    overhead = rules.sign_on_s + rules.sign_off_s
    start_place = np.array([rows[b][a].start_place for b, a, _ in pieces])
    end_place = np.array([rows[b][z].end_place for b, _, z in pieces])
    stack = travel.stack() if travel is not None else None
    order = np.argsort(start, kind="stable")
    sorted_start = start[order]
    firsts, seconds = [], []
    for p in range(len(pieces)):
        room = rules.max_duty_s - overhead - length[p]
        if room <= 0:
            continue
        lo = np.searchsorted(sorted_start, end[p] + rules.break_s)
        hi = np.searchsorted(sorted_start, start[p] - rules.sign_on_s + rules.max_spread_s - rules.sign_off_s, side="right")
        q = order[lo:hi]
        ok = (length[q] <= room) & (end[q] + rules.sign_off_s - (start[p] - rules.sign_on_s) <= rules.max_spread_s)
        elsewhere = start_place[q] != end_place[p]
        if stack is None:
            ok &= ~elsewhere
        else:
            walk = stack[0, end_place[p], start_place[q]]
            ok &= ~elsewhere | (start[q] - end[p] >= rules.break_s + walk)
        q = q[ok]
        firsts.append(np.full(len(q), p))
        seconds.append(q)
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def _generate(
    pieces: list[tuple[int, int, int]],
    rows: list[list[_Unit]],
    blocks: Sequence[Block],
    rules: DriverRules,
    length: np.ndarray,
    firsts: np.ndarray,
    seconds: np.ndarray,
    duty_cost_s: float | None,
    time_limit_s: float,
    started: float,
    *,
    per_piece: int = 3,
) -> Rostering:
    """Column generation: the relaxation (GLOP) over the single-piece duties and the split
    duties priced in so far; each round adds, for every first piece, the few second pieces
    with the most negative reduced cost, until none is left (the relaxation is then optimal
    over every duty) or half the time limit is spent. The integer duties come from CP-SAT
    over the columns generated."""
    overhead = rules.sign_on_s + rules.sign_off_s
    weight = (duty_cost_s if duty_cost_s is not None else rules.max_duty_s) / 60.0
    offsets = np.cumsum([0] + [len(row) for row in rows])
    n_units = int(offsets[-1])
    first_unit = np.array([offsets[b] + a for b, a, _ in pieces])
    last_unit = np.array([offsets[b] + z for b, _, z in pieces])
    pair_cost = weight + np.maximum(length[firsts] + length[seconds] + overhead, rules.min_duty_s) / 60.0
    single = np.flatnonzero(length + overhead <= rules.max_duty_s)
    columns = [((int(p),), float(length[p] + overhead)) for p in single]
    master = _Master(n_units, first_unit, last_unit)
    master.add(columns, weight, rules)
    in_model = np.zeros(len(firsts), dtype=bool)
    deadline = started + time_limit_s / 2  # half the time for pricing, half for the integer duties
    while True:
        x, duals = master.solve()
        if len(firsts) == 0 or time.perf_counter() > deadline:
            break
        values = np.concatenate([[0.0], np.cumsum(duals)])
        piece_value = values[last_unit + 1] - values[first_unit]
        reduced = pair_cost - piece_value[firsts] - piece_value[seconds]
        candidates = np.flatnonzero((reduced < -1e-6) & ~in_model)
        if len(candidates) == 0:
            break
        ranked = candidates[np.lexsort((reduced[candidates], firsts[candidates]))]
        rank = np.arange(len(ranked)) - np.searchsorted(firsts[ranked], firsts[ranked])
        new = ranked[rank < per_piece]
        in_model[new] = True
        added = [((int(firsts[k]), int(seconds[k])), float(length[firsts[k]] + length[seconds[k]] + overhead)) for k in new]
        master.add(added, weight, rules)
        columns += added
    matrix, cost = _matrix(columns, first_unit, last_unit, n_units, weight, rules)
    if bool(np.all(np.minimum(x, 1 - x) < 1e-6)):
        picked = np.flatnonzero(x > 0.5)
        optimal = True
    else:
        # CP-SAT on what the relaxation uses, the columns that nearly price in, and a greedy cut
        greedy = _greedy([pieces[p] for p in single], len(single))
        reduced = cost - matrix.T @ duals
        near = np.argsort(reduced, kind="stable")[: 5 * n_units]
        keep = np.unique(np.concatenate([np.flatnonzero(x > 1e-6), near, greedy]))
        start = np.searchsorted(keep, greedy)
        chosen = _restricted(matrix[:, keep], cost[keep], start, max(time_limit_s - (time.perf_counter() - started), 1.0))
        picked = keep[chosen]
        # proven optimal when it reaches the relaxation's bound (and pricing finished)
        optimal = float(cost[picked].sum()) <= float(np.ceil(cost @ x - 1e-6)) + 1e-6 and time.perf_counter() <= deadline
    return _rostering(picked, columns, pieces, rows, blocks, rules, started, optimal)


def _greedy(pieces: list[tuple[int, int, int]], singles: int) -> np.ndarray:
    """A feasible cut: each block into its longest single-piece duties, from the start.

    The first ``singles`` columns are the single-piece duties, in the order of ``pieces``."""
    longest: dict[tuple[int, int], tuple[int, int]] = {}  # (block, first unit) -> (last unit, column)
    for column, (b, a, z) in enumerate(pieces[:singles]):
        if z >= longest.get((b, a), (-1, -1))[0]:
            longest[(b, a)] = (z, column)
    picked = []
    for b in sorted({b for b, _, _ in pieces[:singles]}):
        u = 0
        while (b, u) in longest:
            z, column = longest[(b, u)]
            picked.append(column)
            u = z + 1
    return np.array(picked, dtype=np.int64)


class _Master:
    """The set partitioning relaxation in GLOP, kept between rounds so that each re-solve
    starts from the last basis."""

    def __init__(self, n_units: int, first_unit: np.ndarray, last_unit: np.ndarray) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.rows = [self.solver.Constraint(1.0, 1.0) for _ in range(n_units)]
        self.first_unit, self.last_unit = first_unit, last_unit
        self.variables: list[pywraplp.Variable] = []
        self.objective = self.solver.Objective()
        self.objective.SetMinimization()

    def add(self, columns: list[tuple[tuple[int, ...], float]], weight: float, rules: DriverRules) -> None:
        for ps, worked in columns:
            var = self.solver.NumVar(0.0, 1.0, "")
            for p in ps:
                for u in range(int(self.first_unit[p]), int(self.last_unit[p]) + 1):
                    self.rows[u].SetCoefficient(var, 1.0)
            self.objective.SetCoefficient(var, weight + max(worked, rules.min_duty_s) / 60.0)
            self.variables.append(var)

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            log.debug("GLOP stopped with status %s after adding columns; solving from scratch", status)
            self.solver.Reset()  # forget the last basis
            status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise InfeasibleError(f"no set of duties covers the blocks under these driver rules (GLOP status {status}); loosen the rules")
        return np.array([v.solution_value() for v in self.variables]), np.array([c.dual_value() for c in self.rows])


def _matrix(
    columns: list[tuple[tuple[int, ...], float]],
    first_unit: np.ndarray,
    last_unit: np.ndarray,
    n_units: int,
    weight: float,
    rules: DriverRules,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    cells_rows, cells_cols = [], []
    for k, (ps, _) in enumerate(columns):
        for p in ps:
            units = np.arange(first_unit[p], last_unit[p] + 1)
            cells_rows.append(units)
            cells_cols.append(np.full(len(units), k))
    r = np.concatenate(cells_rows)
    c = np.concatenate(cells_cols)
    cost = np.array([weight + max(w, rules.min_duty_s) / 60.0 for _, w in columns])
    return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n_units, len(columns))), cost


def _restricted(matrix: sparse.csr_matrix, cost: np.ndarray, start: np.ndarray, time_limit_s: float) -> np.ndarray:
    """CP-SAT on the generated columns, starting from ``start`` (columns of a feasible cut,
    returned as they are if CP-SAT finds nothing better in time)."""
    model = cp_model.CpModel()
    chosen = [model.new_bool_var(f"d{k}") for k in range(matrix.shape[1])]
    csr = matrix.tocsr()
    for u in range(matrix.shape[0]):
        model.add_exactly_one(chosen[k] for k in csr.indices[csr.indptr[u] : csr.indptr[u + 1]])
    model.minimize(sum(int(round(cost[k])) * chosen[k] for k in range(len(chosen))))
    picked = set(start.tolist())
    for k, var in enumerate(chosen):
        model.add_hint(var, 1 if k in picked else 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return start
    return np.array([k for k, var in enumerate(chosen) if solver.boolean_value(var)], dtype=np.int64)


def _rostering(
    picked: np.ndarray,
    columns: list[tuple[tuple[int, ...], float]],
    pieces: list[tuple[int, int, int]],
    rows: list[list[_Unit]],
    blocks: Sequence[Block],
    rules: DriverRules,
    started: float,
    optimal: bool,
) -> Rostering:
    duties = []
    for k in picked:
        ps, worked = columns[int(k)]
        parts = []
        for p in ps:
            b, a, z = pieces[p]
            row = rows[b]
            parts.append(
                Piece(blocks[b].block_id, tuple(row[u].trip for u in range(a, z + 1)), row[a].start, row[z].finish, row[a].start_place, row[z].end_place)
            )
        parts.sort(key=lambda piece: piece.start_s)
        duties.append(
            Duty(
                "",
                tuple(parts),
                parts[0].start_s - rules.sign_on_s,
                parts[-1].end_s + rules.sign_off_s,
                float(worked),
                float(max(worked, rules.min_duty_s)),
            )
        )
    duties.sort(key=lambda d: (d.sign_on_s, d.pieces[0].block_id))
    duties = [Duty(f"d{k + 1}", d.pieces, d.sign_on_s, d.sign_off_s, d.worked_s, d.paid_s) for k, d in enumerate(duties)]
    return Rostering(tuple(duties), sum(d.paid_s for d in duties) / 3600.0, time.perf_counter() - started, optimal)
