"""Re-blocking an existing feed: the trips running on one date blocked again under stated
rules, compared with the agency's own ``block_id`` blocks measured the same way, the
trade-off between fleet, blocks and platform hours, and the feed with the new blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from gtfs.blocking import Blocking, block_trips
from gtfs.blocks import BlockingRules, BlockTrip, Depot, Figures, chain_blocks, measure, rules_of
from gtfs.deadheads import StraightLine, TravelTimes
from gtfs.feed import Feed, active_services, materialized, trip_ends
from gtfs.terminals import Place, line_names, match_terminals
from its.errors import InputError

__all__ = ["DepotSite", "ParetoPoint", "Reblocking", "as_strict_as", "feed_with_blocks", "reblock", "trade_offs"]


@dataclass(frozen=True)
class DepotSite:
    """A garage given by position (degrees) and how many vehicles it holds (None: any)."""

    depot_id: str
    lon: float
    lat: float
    capacity: int | None = None


@dataclass(frozen=True)
class ParetoPoint:
    """One trade-off: the figures found with a pull-out priced at ``pullout_cost_h``
    platform hours (None: fewest pull-outs before any platform time)."""

    pullout_cost_h: float | None
    figures: Figures


@dataclass(frozen=True)
class Reblocking:
    """The trips of ``day`` blocked again, and the agency's blocks for comparison."""

    day: date
    trips: tuple[BlockTrip, ...]
    places: tuple[Place, ...]
    depots: tuple[Depot, ...]
    rules: BlockingRules
    travel: TravelTimes
    result: Blocking
    agency: Figures | None = None
    agency_rules: dict[str, float | bool] | None = None


def _trips(feed: Feed, day: date, radius_m: float) -> tuple[pd.DataFrame, tuple[Place, ...], list[BlockTrip]]:
    ends = trip_ends(feed, day=day)
    if ends.empty:
        services = sorted(active_services(feed, day))
        raise InputError(
            f"{feed.source}: no trips run on {day:%Y%m%d}"
            + (f" (services running: {', '.join(services)})" if services else " (no service runs that day)")
            + "; pick a date within the feed's calendar"
        )
    terminals = match_terminals(sorted(set(ends["first_stop"]) | set(ends["last_stop"])), feed.table("stops.txt"), radius_m=radius_m)
    lines = line_names(feed.table("routes.txt"))
    trips = [
        BlockTrip(row.trip_id, lines.get(row.route_id, row.route_id), float(row.start_s), float(row.end_s), terminals.place_of[row.first_stop], terminals.place_of[row.last_stop])
        for row in ends.itertuples()
    ]
    return ends, terminals.places, trips


def reblock(
    feed: Feed,
    day: date,
    rules: BlockingRules = BlockingRules(),
    *,
    depots: Sequence[DepotSite] = (),
    speed_kmh: float = 25.0,
    detour: float = 1.3,
    radius_m: float = 150.0,
    travel: TravelTimes | None = None,
    as_agency: bool = False,
) -> Reblocking:
    """Block the trips running on ``day`` and measure the agency's own blocks alike.

    Parameters
    ----------
    feed
        The feed; its ``block_id`` values (where given) are the agency's blocks.
    day
        The service day.
    rules
        The blocking rules (layovers, deadheads, interlining, block length, costs).
    depots
        Garages; none: blocks start and end at their terminals.
    speed_kmh, detour
        Deadhead speed and detour factor over straight-line distance, used when no
        ``travel`` table is given.
    radius_m
        Stations closer than this are one terminal.
    travel
        Deadhead times between the terminals and then the depots, in that order.
    as_agency
        Tighten ``rules`` to be at least as strict as the links inside the agency's own
        blocks (see :func:`as_strict_as`), and take no more blocks than the agency: of the
        solutions for each pull-out price (when ``rules`` set none), the one with the
        fewest platform hours that needs no more vehicles and blocks than the agency's.
        The feed must have ``block_id``.
    """
    ends, places, trips = _trips(feed, day, radius_m)
    sites = tuple(Place(d.depot_id, d.depot_id, d.lon, d.lat) for d in depots)
    all_places = (*places, *sites)
    travel = travel or StraightLine(all_places, speed_kmh, detour)
    depot_list = tuple(Depot(d.depot_id, len(places) + k, d.capacity) for k, d in enumerate(depots))
    agency = agency_rules = None
    chains: dict[str, list[int]] = {}
    if "block_id" in ends.columns and (ends["block_id"] != "").any():
        index = {t.trip_id: k for k, t in enumerate(trips)}
        for trip_id, block_id in zip(ends["trip_id"], ends["block_id"], strict=True):
            chains.setdefault(block_id or f"(no block) {trip_id}", []).append(index[trip_id])
        agency_rules = rules_of(list(chains.values()), trips, travel)
    if as_agency:
        if agency_rules is None:
            raise InputError(f"{feed.source}: the trips on {day:%Y%m%d} carry no block_id, so there are no agency rules to follow")
        rules = as_strict_as(rules, agency_rules)
    if chains:
        agency = measure(chain_blocks(list(chains.items()), trips, rules, travel, depot_list), trips, rules)
    result = block_trips(trips, travel, rules, depots=depot_list)
    if as_agency and agency is not None and rules.pullout_cost_s is None:
        # the agency's own block count is part of its rules: among the pull-out prices, the
        # blocks that need no more vehicles and no more blocks than the agency's, with the
        # fewest platform hours
        for cost in PULLOUT_COSTS_H:
            if cost is None:
                continue
            other = block_trips(trips, travel, replace(rules, pullout_cost_s=cost * 3600.0), depots=depot_list)
            f, best = other.figures, result.figures
            fits = f.fleet <= agency.fleet and f.blocks <= agency.blocks
            better = (best.fleet > agency.fleet or best.blocks > agency.blocks) or f.platform_hours < best.platform_hours - 1e-9
            if fits and better:
                result = other
                rules = replace(rules, pullout_cost_s=cost * 3600.0)
    return Reblocking(day, tuple(trips), all_places, depot_list, rules, travel, result, agency, agency_rules)


def as_strict_as(rules: BlockingRules, agency: dict[str, float | bool]) -> BlockingRules:
    """``rules`` tightened to be at least as strict as the agency's links (see
    :func:`gtfs.blocks.rules_of`): no shorter minimum layover, no longer wait, deadheads
    only if the agency makes them and no longer, interlining only if the agency does, no
    longer blocks."""
    layover_min = max(rules.layover_min_s, float(agency["layover_min_s"]))
    layover_max = max(float(agency["layover_max_s"]), layover_min)
    return replace(
        rules,
        layover_min_s=layover_min,
        layover_max_s=min(rules.layover_max_s, layover_max) if rules.layover_max_s is not None else float(layover_max),
        deadheads=rules.deadheads and bool(agency["deadheads"]),
        max_deadhead_s=min(rules.max_deadhead_s, float(agency["max_deadhead_s"])),
        interlining=rules.interlining and bool(agency["interlining"]),
        max_block_s=min(rules.max_block_s, float(agency["max_block_s"])) if rules.max_block_s is not None else float(agency["max_block_s"]),
    )


#: Pull-out prices (platform hours) tried for the trade-off table; None: fewest pull-outs.
PULLOUT_COSTS_H: tuple[float | None, ...] = (None, 12.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.25, 0.0)


def trade_offs(reblocking: Reblocking, *, costs_h: Sequence[float | None] = PULLOUT_COSTS_H) -> list[ParetoPoint]:
    """The fleet/blocks/platform-hours trade-off: the blocking again with each pull-out
    price, keeping the points no other point beats on all three figures."""
    points = []
    for cost in costs_h:
        rules = replace(reblocking.rules, pullout_cost_s=None if cost is None else cost * 3600.0)
        result = block_trips(reblocking.trips, reblocking.travel, rules, depots=reblocking.depots)
        points.append(ParetoPoint(cost, result.figures))
    def key(p: ParetoPoint) -> tuple[int, int, float]:
        return (p.figures.fleet, p.figures.blocks, round(p.figures.platform_hours, 6))

    def beats(a: tuple[int, int, float], b: tuple[int, int, float]) -> bool:
        return all(x <= y for x, y in zip(a, b, strict=True)) and a != b

    keep: list[ParetoPoint] = []
    for p in points:
        if not any(beats(key(q), key(p)) for q in points) and all(key(k) != key(p) for k in keep):
            keep.append(p)
    return sorted(keep, key=key)


def feed_with_blocks(feed: Feed, blocking: Blocking) -> dict[str, pd.DataFrame]:
    """The feed's tables with ``block_id`` set to the new blocks for the trips they hold.

    Frequency-based trips that were blocked are written out as the single trips they
    expand to (``frequencies.txt`` loses their rows), since a block holds single trips.
    Other trips keep the ``block_id`` they had.
    """
    block_of = blocking.block_of()
    tables = materialized(feed, {t for t in block_of if "@" in t})
    trips = tables["trips.txt"].copy()
    if "block_id" not in trips.columns:
        trips["block_id"] = ""
    ids = trips["trip_id"].str.strip()
    trips["block_id"] = [block_of.get(t, b) for t, b in zip(ids, trips["block_id"], strict=True)]
    tables["trips.txt"] = trips
    return tables
