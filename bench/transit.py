"""Benchmark: vehicle blocking on the real feeds of ../shared/data/gtfs and on generated days
of 1k, 10k and 50k trips. Prints lines containing "ratio" (ours against a baseline measured
in the same run):

(a) every real feed, deadheads allowed: fleet / lower_bound (goal: at most 1.10), with no
    depot (blocks start at their terminals) and with one depot at the central terminal;
(b) every real feed carrying block_id: ours / the agency's own blocks for fleet (goal
    <= 1), blocks (<= 1) and platform hours (< 1), under rules at least as strict as the
    links inside the agency's blocks (``its transit block --as-agency``), on each service
    day with block_id;
(c) generated instances: fleet / lower_bound (<= 1.10) and fleet / the fleet of greedy
    first-in-first-out blocking (the baseline), deadhead hours, solve time; a 1,500-trip day
    under 1 s, 10,000 trips under 30 s; the growth exponent of solve time against trips
    (1 is linear); at 10k, the fleet and time of regions against one flow for the day.

Usage: python bench/transit.py [--sizes 1000,10000,50000] [--seed 1]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import math
import time
from collections import Counter

import numpy as np

from gtfs.blocking import block_trips
from gtfs.blocks import BlockingRules, BlockTrip, Depot, lower_bound
from gtfs.deadheads import StraightLine
from gtfs.feed import active_services, parse_day
from gtfs.read import read_feed
from gtfs.reblock import DepotSite, reblock
from gtfs.terminals import Place, haversine_m

REPO = Path(__file__).resolve().parent.parent
FEEDS = REPO.parent / "shared" / "data" / "gtfs"
#: Deadhead speeds by route type over straight-line distance x 1.3 (bus, subway, rail).
SPEED_KMH = {3: 25.0, 1: 40.0, 2: 60.0}


def busiest_day(feed) -> str:  # type: ignore[no-untyped-def]
    """The date (YYYYMMDD) whose services run the most trips, from the calendar."""
    trips = Counter(feed.trips["service_id"])
    dates = set()
    calendar = feed.table("calendar.txt")
    if not calendar.empty:
        for start in calendar["start_date"]:
            day = parse_day(start)
            dates.update(day.fromordinal(day.toordinal() + k) for k in range(14))
    for text in feed.table("calendar_dates.txt").get("date", []):
        dates.add(parse_day(text))
    best = max(sorted(dates), key=lambda d: sum(trips[s] for s in active_services(feed, d)))
    return best.strftime("%Y%m%d")


def route_type(feed) -> int:  # type: ignore[no-untyped-def]
    types = feed.table("routes.txt").get("route_type")
    return int(Counter(types).most_common(1)[0][0]) if types is not None else 3


def central_depot(result) -> DepotSite:  # type: ignore[no-untyped-def]
    """A depot at the terminal nearest to the trip-weighted centre of the terminals."""
    weight = Counter(t.start_place for t in result.trips) + Counter(t.end_place for t in result.trips)
    places = list(result.places)
    lon = np.average([p.lon for p in places], weights=[weight[k] + 1e-9 for k in range(len(places))])
    lat = np.average([p.lat for p in places], weights=[weight[k] + 1e-9 for k in range(len(places))])
    k = int(np.argmin(haversine_m(np.array([p.lon for p in places]), np.array([p.lat for p in places]), lon, lat)))
    return DepotSite("depot", places[k].lon, places[k].lat)


def real_feeds() -> None:
    if not FEEDS.is_dir():
        print(f"skipped real feeds: {FEEDS} is absent")
        return
    print("== real feeds (deadheads allowed, 5 min minimum layover)")
    for path in sorted(FEEDS.glob("*.zip")):
        feed = read_feed(path)
        day = busiest_day(feed)
        speed = SPEED_KMH.get(route_type(feed), 25.0)
        rules = BlockingRules(layover_min_s=300, max_deadhead_s=3600)
        plain = reblock(feed, parse_day(day), rules, speed_kmh=speed)
        depot = reblock(feed, parse_day(day), rules, speed_kmh=speed, depots=[central_depot(plain)])
        for label, result in (("no depot", plain), ("central depot", depot)):
            f = result.result.figures
            print(
                f"{path.stem:28s} {day} {label:13s} trips {f.trips:5d}  fleet {f.fleet:4d}  lower_bound {f.lower_bound:4d}  "
                f"ratio fleet/lower_bound {f.fleet / f.lower_bound:.3f}  blocks {f.blocks:4d}  platform_h {f.platform_hours:8.1f}  "
                f"deadhead_h {f.deadhead_hours:6.1f}  solve {result.result.solve_time_s:.2f} s"
            )
    print("== feeds with the agency's own block_id (rules at least as strict as the agency's links)")
    for path in sorted(FEEDS.glob("*.zip")):
        feed = read_feed(path)
        trips = feed.trips
        if "block_id" not in trips.columns or not (trips["block_id"] != "").any():
            continue
        blocked = set(trips.loc[trips["block_id"] != "", "service_id"])
        days = set()
        calendar = feed.table("calendar_dates.txt")
        for text in calendar.get("date", []):
            day = parse_day(text)
            if active_services(feed, day) & blocked:
                days.add((day, frozenset(active_services(feed, day))))
        named = parse_day(path.stem[-10:].replace("-", "")) if path.stem[-10:].replace("-", "").isdigit() else None
        chosen = {}
        for day, services in sorted(days):
            chosen.setdefault(services, day)  # one day per distinct set of services
        if named is not None:
            chosen[frozenset(active_services(feed, named))] = named
        for day in sorted(set(chosen.values())):
            result = reblock(feed, day, BlockingRules(), as_agency=True)
            ours, agency = result.result.figures, result.agency
            if agency is None:
                continue
            print(
                f"{path.stem:28s} {day:%Y%m%d} trips {ours.trips:3d}  fleet {ours.fleet} vs {agency.fleet} ratio {ours.fleet / agency.fleet:.3f}  "
                f"blocks {ours.blocks} vs {agency.blocks} ratio {ours.blocks / agency.blocks:.3f}  "
                f"platform_h {ours.platform_hours:.2f} vs {agency.platform_hours:.2f} ratio {ours.platform_hours / agency.platform_hours:.4f}  "
                f"(min layover {result.rules.layover_min_s / 60:g} min, deadheads {'up to %.0f min' % (result.rules.max_deadhead_s / 60) if result.rules.deadheads else 'none'}, "
                f"interlining {'yes' if result.rules.interlining else 'no'}, max block {result.rules.max_block_s / 3600:.2f} h)"
            )


def generate(trips: int, seed: int = 1) -> tuple[list[BlockTrip], StraightLine, list[Depot]]:
    """A city day: lines of 3-15 km between random terminals (run times from distance at
    18 km/h), both directions, headways by period (peaks 8 min), a depot per 20 lines; the
    city's area grows with its lines."""
    rng = np.random.default_rng(seed)
    lines = max(1, round(trips / 165))
    n_terminals = max(3, int(lines * 0.6) + 2)
    side = 0.06 * math.sqrt(max(lines, 4) / 4)
    lon = -93.6 + rng.uniform(-side, side, n_terminals)
    lat = 41.6 + rng.uniform(-side, side, n_terminals) * 0.7
    places = [Place(f"t{k}", f"t{k}", lon[k], lat[k]) for k in range(n_terminals)]
    n_depots = max(1, lines // 20)
    for d in range(n_depots):
        places.append(Place(f"d{d}", "depot", -93.6 + rng.uniform(-side / 2, side / 2), 41.6 + rng.uniform(-side / 2, side / 2) * 0.7))
    travel = StraightLine(places, speed_kmh=25.0)
    metres = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    periods = [(5.0, 6.5, 20), (6.5, 9.0, 8), (9.0, 15.0, 15), (15.0, 18.5, 8), (18.5, 24.0, 30)]
    out: list[BlockTrip] = []
    for line in range(lines):
        # a line runs 3-15 km between terminals (the nearest other one where none is that
        # far): a bigger city has more lines, not longer ones
        a = int(rng.integers(n_terminals))
        away = metres[a].copy()
        away[a] = np.inf
        far_enough = np.flatnonzero((away > 3000) & (away < 15000))
        b = int(rng.choice(far_enough)) if len(far_enough) else int(np.argmin(away))
        run = max(900.0, metres[a, b] * 1.4 / (18 / 3.6))
        for direction, (x, y) in enumerate(((a, b), (b, a))):
            for start_h, end_h, headway in periods:
                t = start_h * 3600 + rng.uniform(0, headway * 60)
                while t < end_h * 3600:
                    peak = 7 * 3600 < t < 9 * 3600 or 16 * 3600 < t < 18 * 3600
                    out.append(BlockTrip(f"L{line}_{direction}_{int(t)}", f"L{line}", t, t + run * (1.15 if peak else 1.0), int(x), int(y)))
                    t += headway * 60
    depots = [Depot(f"d{d}", n_terminals + d) for d in range(n_depots)]
    return out, travel, depots


def greedy_fleet(trips: list[BlockTrip], layover_s: float) -> int:
    """The baseline: first-in-first-out blocking, each departure taking the vehicle that has
    waited longest at its terminal, else a new one (no deadheads)."""
    waiting: dict[int, list[float]] = {}
    fleet = 0
    events = sorted(trips, key=lambda t: t.start_s)
    import heapq

    arrivals: list[tuple[float, int]] = []
    for trip in events:
        while arrivals and arrivals[0][0] <= trip.start_s:
            ready, place = heapq.heappop(arrivals)
            waiting.setdefault(place, []).append(ready)
        queue = waiting.get(trip.start_place)
        if queue:
            queue.pop(0)
        else:
            fleet += 1
        heapq.heappush(arrivals, (trip.end_s + layover_s, trip.end_place))
    return fleet


def generated(sizes: list[int], seed: int) -> None:
    print("== generated days (5 min minimum layover, deadheads up to 40 min, depots)")
    rules = BlockingRules(layover_min_s=300, max_deadhead_s=2400)
    timings: list[tuple[int, float]] = []
    for size in [1500, *sizes]:
        trips, travel, depots = generate(size, seed)
        started = time.perf_counter()
        baseline = greedy_fleet(trips, rules.layover_min_s)
        greedy_s = time.perf_counter() - started
        result = block_trips(trips, travel, rules, depots=depots)
        f = result.figures
        bound = lower_bound(trips, rules.layover_min_s)
        print(
            f"generated {len(trips):6d} trips, {len(depots):2d} depots: fleet {f.fleet:5d}  lower_bound {bound:5d}  ratio fleet/lower_bound {f.fleet / bound:.3f}  "
            f"greedy fleet {baseline:5d}  ratio fleet/greedy {f.fleet / baseline:.3f}  blocks {f.blocks:5d}  deadhead_h {f.deadhead_hours:8.1f}  "
            f"solve {result.solve_time_s:6.2f} s (greedy {greedy_s:.2f} s)"
        )
        if size == 1500:
            print(f"goal: a 1,500-trip day under 1 s: {result.solve_time_s:.2f} s ratio to 1 s {result.solve_time_s:.3f}")
            continue
        timings.append((len(trips), result.solve_time_s))
        if 9000 <= len(trips) <= 11000:
            print(f"goal: 10,000 trips under 30 s: {result.solve_time_s:.2f} s ratio to 30 s {result.solve_time_s / 30:.3f}")
            # the price of regions: the same day as one flow
            exact = block_trips(trips, travel, rules, depots=depots, region_trips=None)
            print(
                f"one flow for the whole day: fleet {exact.figures.fleet}, blocks {exact.figures.blocks}, {exact.solve_time_s:.2f} s; "
                f"ratio fleet regions/one flow {f.fleet / exact.figures.fleet:.3f}  ratio time {result.solve_time_s / exact.solve_time_s:.3f}"
            )
    if len(timings) >= 2:
        (n0, t0), (n1, t1) = timings[0], timings[-1]
        print(f"growth: solve time x{t1 / t0:.1f} for x{n1 / n0:.1f} trips, time per trip ratio {(t1 / n1) / (t0 / n0):.2f}, exponent {math.log(t1 / t0) / math.log(n1 / n0):.2f} (1 is linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000", help="generated instance sizes (trips)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-feeds", action="store_true", help="only the generated instances")
    args = parser.parse_args()
    if not args.no_feeds:
        real_feeds()
    generated([int(s) for s in args.sizes.split(",") if s], args.seed)


if __name__ == "__main__":
    main()
