"""Vehicle blocks as data, the rules they follow, and the figures planners judge them by.

A *block* is one vehicle's work between leaving a depot (pull-out) and coming back
(pull-in): trips in order, with layovers and deadheads between them. Its vehicle is *out*
from pull-out to pull-in. Without a depot (re-blocking a feed that names none) a block pulls
out at its first departure and pulls in when the minimum layover after its last arrival is
over. The figures are computed the same way for any blocks, ours or an agency's, so they
compare like with like:

- ``fleet``: the most vehicles out at once;
- ``lower_bound``: the most trips in service at once counting the minimum layover after
  each; no set of blocks can need fewer vehicles;
- ``platform_hours``: the sum of the blocks' times out; ``deadhead_hours`` the part spent
  driving empty (between trips and to and from the depot);
- ``pull_outs``: the number of blocks.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gtfs.deadheads import TravelTimes
from its.errors import InputError

__all__ = [
    "Block",
    "BlockTrip",
    "BlockingRules",
    "Depot",
    "Figures",
    "assign_vehicles",
    "chain_blocks",
    "lower_bound",
    "measure",
    "rules_of",
]


@dataclass(frozen=True)
class BlockTrip:
    """A trip to be blocked: its line, times (s) and terminals (indices into the places)."""

    trip_id: str
    line: str
    start_s: float
    end_s: float
    start_place: int
    end_place: int


@dataclass(frozen=True)
class Depot:
    """A garage at a place (index into the places); ``capacity`` vehicles at most."""

    depot_id: str
    place: int
    capacity: int | None = None


@dataclass(frozen=True)
class BlockingRules:
    """What blocks must respect and what they cost.

    Times in seconds. ``layover_min_s`` follows every trip (recovery time); a vehicle may
    wait at a terminal up to ``layover_max_s`` (None: any time), longer waits are spent at
    the depot where it can get there and back. Deadheads between terminals are allowed when
    ``deadheads`` is true and no longer than ``max_deadhead_s`` (to the
    ``deadhead_targets`` nearest terminals). ``interlining`` lets a block serve several
    lines; lines named in ``no_interlining`` never share a block with another line. A block
    lasts at most ``max_block_s`` from pull-out to pull-in.

    The objective: fewest vehicles, then fewest pull-outs, then least platform time
    (idle, deadhead and pull-out time), each strictly before the next. A finite
    ``vehicle_cost_s`` or ``pullout_cost_s`` (in platform seconds) trades them instead;
    ``deadhead_penalty`` adds that share of each deadhead second (fuel, wear).
    """

    layover_min_s: float = 0.0
    layover_max_s: float | None = None
    deadheads: bool = True
    max_deadhead_s: float = 3600.0
    deadhead_targets: int = 8
    interlining: bool = True
    no_interlining: frozenset[str] = field(default_factory=frozenset)
    max_block_s: float | None = None
    vehicle_cost_s: float | None = None
    pullout_cost_s: float | None = None
    deadhead_penalty: float = 0.5

    def __post_init__(self) -> None:
        for name in ("layover_min_s", "max_deadhead_s", "deadhead_penalty"):
            if getattr(self, name) < 0:
                raise InputError(f"blocking rule {name} must not be negative, got {getattr(self, name)}")
        if self.layover_max_s is not None and self.layover_max_s < self.layover_min_s:
            raise InputError(
                f"maximum layover ({self.layover_max_s / 60:g} min) is below the minimum ({self.layover_min_s / 60:g} min)"
            )
        if self.max_block_s is not None and self.max_block_s <= 0:
            raise InputError("the maximum block length must be positive")

    def group(self, line: str) -> str:
        """The interlining group of a line: its own name when it may not interline."""
        return line if (not self.interlining or line in self.no_interlining) else ""


@dataclass(frozen=True)
class Block:
    """One vehicle's work from pull-out to pull-in.

    ``trips`` in order; ``pull_out_s``/``pull_in_s`` when it leaves and is back at the depot
    (``depot`` None: no depot given); ``deadhead_s`` the time driving empty, including to
    and from the depot; ``vehicle`` which vehicle (0-based) runs it.
    """

    block_id: str
    trips: tuple[str, ...]
    pull_out_s: float
    pull_in_s: float
    deadhead_s: float
    depot: str | None = None
    vehicle: int = 0

    @property
    def platform_s(self) -> float:
        """Time out, seconds."""
        return self.pull_in_s - self.pull_out_s


@dataclass(frozen=True)
class Figures:
    """The figures of a set of blocks (see the module docstring)."""

    trips: int
    fleet: int
    blocks: int
    lower_bound: int
    platform_hours: float
    deadhead_hours: float
    pull_outs: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "trips": self.trips,
            "fleet": self.fleet,
            "blocks": self.blocks,
            "lower_bound": self.lower_bound,
            "platform_hours": round(self.platform_hours, 3),
            "deadhead_hours": round(self.deadhead_hours, 3),
            "pull_outs": self.pull_outs,
        }


def most_at_once(starts: np.ndarray, ends: np.ndarray) -> int:
    """The most half-open intervals ``[start, end)`` covering one instant."""
    if len(starts) == 0:
        return 0
    times = np.concatenate([np.asarray(starts, float), np.asarray(ends, float)])
    steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
    order = np.lexsort((steps, times))  # an end at t frees its vehicle before a start at t
    return int(np.max(np.cumsum(steps[order])))


def lower_bound(trips: Sequence[BlockTrip], layover_min_s: float) -> int:
    """The most trips in service at once, each followed by the minimum layover."""
    starts = np.array([t.start_s for t in trips], dtype=float)
    ends = np.array([t.end_s + layover_min_s for t in trips], dtype=float)
    return most_at_once(starts, ends)


def _depot_times(
    travel: TravelTimes, depots: Sequence[Depot], place: int, at_s: float, *, outbound: bool
) -> tuple[float, Depot | None]:
    """The nearest depot's travel time to (outbound) or from a place, and the depot."""
    if not depots:
        return 0.0, None
    stack = travel.stack()
    slot = int(travel.slot_of(np.array([at_s]))[0])
    times = [stack[slot, d.place, place] if outbound else stack[slot, place, d.place] for d in depots]
    k = int(np.argmin(times))
    return float(times[k]), depots[k]


def chain_blocks(
    chains: Sequence[tuple[str, Sequence[int]]],
    trips: Sequence[BlockTrip],
    rules: BlockingRules,
    travel: TravelTimes,
    depots: Sequence[Depot] = (),
    *,
    depot_of: Mapping[str, Depot] | None = None,
    depot_in_of: Mapping[str, Depot] | None = None,
) -> list[Block]:
    """Blocks from trip chains (block id, trip indices in order): times out and deadheads.

    The pull-out leaves the block's depot (``depot_of[block_id]``, else the depot nearest
    the first terminal) to arrive at the first departure; the pull-in leaves when the
    minimum layover after the last arrival is over, for ``depot_in_of[block_id]`` where
    given, else for the block's depot. Deadheads between trips leave when the minimum
    layover is over.
    """
    stack = travel.stack()
    blocks = []
    for block_id, chain in chains:
        order = sorted(chain, key=lambda k: (trips[k].start_s, trips[k].end_s))
        first, last = trips[order[0]], trips[order[-1]]
        deadhead = 0.0
        for a, b in zip(order, order[1:], strict=False):
            ta, tb = trips[a], trips[b]
            if ta.end_place != tb.start_place:
                ready = ta.end_s + rules.layover_min_s
                slot = int(travel.slot_of(np.array([ready]))[0])
                deadhead += float(stack[slot, ta.end_place, tb.start_place])
        chosen = depot_of.get(block_id) if depot_of else None
        if chosen is not None:
            slot_out = int(travel.slot_of(np.array([first.start_s]))[0])
            slot_in = int(travel.slot_of(np.array([last.end_s + rules.layover_min_s]))[0])
            out_s = float(stack[slot_out, chosen.place, first.start_place])
            back = depot_in_of.get(block_id, chosen) if depot_in_of else chosen
            in_s = float(stack[slot_in, last.end_place, back.place])
            depot = chosen
        else:
            out_s, depot = _depot_times(travel, depots, first.start_place, first.start_s, outbound=True)
            in_s, _ = _depot_times(travel, depots, last.end_place, last.end_s + rules.layover_min_s, outbound=False)
        blocks.append(
            Block(
                block_id,
                tuple(trips[k].trip_id for k in order),
                first.start_s - out_s,
                last.end_s + rules.layover_min_s + in_s,
                deadhead + out_s + in_s,
                depot.depot_id if depot is not None else None,
            )
        )
    return assign_vehicles(blocks)


def assign_vehicles(blocks: Sequence[Block]) -> list[Block]:
    """Number the vehicles: each block goes to the vehicle free longest (interval
    partitioning), so the vehicles used are exactly the most blocks out at once."""
    order = sorted(range(len(blocks)), key=lambda k: (blocks[k].pull_out_s, blocks[k].block_id))
    free: list[tuple[float, int]] = []  # (free since, vehicle)
    busy: list[tuple[float, int]] = []

    vehicles = [0] * len(blocks)
    count = 0
    for k in order:
        block = blocks[k]
        while busy and busy[0][0] <= block.pull_out_s:
            until, vehicle = heapq.heappop(busy)
            heapq.heappush(free, (until, vehicle))
        if free:
            _, vehicle = heapq.heappop(free)
        else:
            vehicle, count = count, count + 1
        vehicles[k] = vehicle
        heapq.heappush(busy, (block.pull_in_s, vehicle))
    return [
        Block(b.block_id, b.trips, b.pull_out_s, b.pull_in_s, b.deadhead_s, b.depot, vehicles[k])
        for k, b in enumerate(blocks)
    ]


def measure(blocks: Sequence[Block], trips: Sequence[BlockTrip], rules: BlockingRules) -> Figures:
    """The figures of a set of blocks over ``trips``."""
    starts = np.array([b.pull_out_s for b in blocks], dtype=float)
    ends = np.array([b.pull_in_s for b in blocks], dtype=float)
    return Figures(
        trips=sum(len(b.trips) for b in blocks),
        fleet=most_at_once(starts, ends),
        blocks=len(blocks),
        lower_bound=lower_bound(trips, rules.layover_min_s),
        platform_hours=float(np.sum(ends - starts)) / 3600.0,
        deadhead_hours=sum(b.deadhead_s for b in blocks) / 3600.0,
        pull_outs=len(blocks),
    )


def rules_of(
    chains: Sequence[Sequence[int]],
    trips: Sequence[BlockTrip],
    travel: TravelTimes,
) -> dict[str, float | bool]:
    """What the links inside given blocks (an agency's own) allow, at their strictest.

    Returns the shortest layover between consecutive trips (``layover_min_s``, at least 0),
    whether any link changes terminal (``deadheads``) and the longest such deadhead
    (``max_deadhead_s``), whether any block mixes lines (``interlining``), the longest block
    from first departure to last arrival (``max_block_s``) and the longest wait
    (``layover_max_s``). Rules built from these are at least as strict as the agency's.
    """
    stack = travel.stack()
    gaps: list[float] = []
    moves: list[float] = []
    spans: list[float] = []
    mixed = False
    for chain in chains:
        order = sorted(chain, key=lambda k: trips[k].start_s)
        spans.append(trips[order[-1]].end_s - trips[order[0]].start_s)
        mixed = mixed or len({trips[k].line for k in order}) > 1
        for a, b in zip(order, order[1:], strict=False):
            gap = trips[b].start_s - trips[a].end_s
            if trips[a].end_place != trips[b].start_place:
                slot = int(travel.slot_of(np.array([trips[a].end_s]))[0])
                drive = float(stack[slot, trips[a].end_place, trips[b].start_place])
                moves.append(drive)
                gap -= drive
            gaps.append(gap)
    return {
        "layover_min_s": max(min(gaps), 0.0) if gaps else 0.0,
        "layover_max_s": max(gaps) if gaps else 0.0,
        "deadheads": bool(moves),
        "max_deadhead_s": max(moves) if moves else 0.0,
        "interlining": mixed,
        "max_block_s": max(spans) if spans else 0.0,
    }
