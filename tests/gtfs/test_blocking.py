"""Vehicle blocking on small cases whose answers are known by hand, and terminal matching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gtfs.blocking import _regions, block_trips
from gtfs.blocks import BlockingRules, BlockTrip, Depot, lower_bound, rules_of
from gtfs.deadheads import StraightLine
from gtfs.read import read_feed
from gtfs.terminals import Place, line_names, match_terminals
from its.errors import InfeasibleError, InputError

# Terminals A (0) and B (1) are 5 km apart: 10 minutes of deadhead at 30 km/h.
PEAK = [("07:00", "07:30", 0, 1), ("07:40", "08:10", 1, 0), ("07:20", "07:50", 0, 1), ("08:00", "08:30", 1, 0), ("08:20", "08:50", 0, 1)]


def test_minimum_fleet_known_by_hand(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle(PEAK)
    result = block_trips(trips, travel, BlockingRules(layover_min_s=600))
    assert (result.figures.fleet, result.figures.blocks, result.figures.lower_bound) == (2, 2, 2)
    assert sorted(b.trips for b in result.blocks) == [("1-0", "1-1", "1-4"), ("1-2", "1-3")]
    # one more minute of layover and no vehicle makes its next trip: three at 07:40
    tight = block_trips(trips, travel, BlockingRules(layover_min_s=660, deadheads=False))
    assert lower_bound(trips, 660) == 3
    assert tight.figures.fleet == 3


def test_a_deadhead_saves_a_block_when_allowed(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle([("07:00", "07:30", 0, 1), ("07:50", "08:20", 0, 1)])
    joined = block_trips(trips, travel, BlockingRules(layover_min_s=300))
    assert joined.figures.blocks == 1
    assert joined.figures.deadhead_hours == pytest.approx(600 / 3600, abs=0.01)
    apart = block_trips(trips, travel, BlockingRules(layover_min_s=300, deadheads=False))
    assert apart.figures.blocks == 2 and apart.figures.deadhead_hours == 0
    too_far = block_trips(trips, travel, BlockingRules(layover_min_s=300, max_deadhead_s=300))
    assert too_far.figures.blocks == 2


def test_lines_that_may_not_interline_keep_their_own_blocks(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle([("07:00", "07:30", 0, 1)], line="1") + shuttle([("07:40", "08:10", 1, 0)], line="2")
    assert block_trips(trips, travel, BlockingRules(layover_min_s=300)).figures.blocks == 1
    assert block_trips(trips, travel, BlockingRules(layover_min_s=300, no_interlining=frozenset({"2"}))).figures.blocks == 2
    assert block_trips(trips, travel, BlockingRules(layover_min_s=300, interlining=False)).figures.blocks == 2


def test_depots_pull_outs_and_capacity(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle(PEAK)
    garage = [Depot("G", 2)]
    result = block_trips(trips, travel, BlockingRules(layover_min_s=600), depots=garage)
    assert result.figures.fleet == 2 and all(b.depot == "G" for b in result.blocks)
    first = min(result.blocks, key=lambda b: b.pull_out_s)
    assert first.pull_out_s == pytest.approx(7 * 3600 - 300)  # 2.5 km from the garage at 30 km/h
    with pytest.raises(InfeasibleError, match=r"capacities: G \(1\)"):
        block_trips(trips, travel, BlockingRules(layover_min_s=600), depots=[Depot("G", 2, capacity=1)])


DAY = [("06:00", "07:00", 0, 1), ("07:10", "08:10", 1, 0), ("14:00", "15:00", 0, 1), ("15:10", "16:10", 1, 0)]


def test_maximum_block_length_and_layover_split_at_the_long_wait(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle(DAY)
    whole = block_trips(trips, travel, BlockingRules(layover_min_s=600))
    assert whole.figures.blocks == 1 and whole.figures.platform_hours == pytest.approx(10 + 20 / 60)  # 06:00 to 16:10 and the last layover
    short = block_trips(trips, travel, BlockingRules(layover_min_s=600, max_block_s=6 * 3600))
    assert short.figures.blocks == 2 and short.figures.fleet == 1 and short.violations == ()
    assert all(b.platform_s <= 6 * 3600 for b in short.blocks)
    waits = block_trips(trips, travel, BlockingRules(layover_min_s=600, layover_max_s=3600))
    assert waits.figures.blocks == 2
    impossible = block_trips(trips, travel, BlockingRules(layover_min_s=600, max_block_s=3600))  # one trip and its layover take 70 min
    assert impossible.violations and "longer than the maximum" in impossible.violations[0]


def test_a_pull_out_price_trades_blocks_for_platform_hours(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle(DAY)
    fewest = block_trips(trips, travel, BlockingRules(layover_min_s=600))
    cheap = block_trips(trips, travel, BlockingRules(layover_min_s=600, pullout_cost_s=3600))
    assert (fewest.figures.blocks, cheap.figures.blocks) == (1, 2)
    assert cheap.figures.platform_hours < fewest.figures.platform_hours


def test_rules_of_an_agencys_blocks(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle([("07:00", "07:30", 0, 1), ("07:35", "08:00", 1, 0), ("09:00", "09:30", 1, 0)])
    rules = rules_of([[0, 1], [2]], trips, travel)
    assert rules["layover_min_s"] == 300 and rules["deadheads"] is False and rules["max_block_s"] == 3600


def test_platforms_of_a_station_are_one_terminal():
    stops = pd.DataFrame(
        {
            "stop_id": ["p1", "p2", "S", "far"],
            "stop_name": ["Central 1", "Central 2", "Central", "Far"],
            "stop_lat": ["41.600", "41.6004", "41.6002", "41.700"],
            "stop_lon": ["-93.600", "-93.602", "-93.601", "-93.600"],
            "parent_station": ["S", "S", "", ""],
        }
    )
    terminals = match_terminals(["p1", "p2", "far"], stops, radius_m=0)
    assert terminals.place_of["p1"] == terminals.place_of["p2"] != terminals.place_of["far"]


def test_caltrain_platforms_without_stations_are_matched_by_distance(shared_data):
    feed = read_feed(shared_data / "gtfs" / "caltrain-2017-07-24.zip")
    stops = feed.table("stops.txt")
    terminals = match_terminals(["70011", "70012", "70261", "70262"], stops)
    assert terminals.place_of["70011"] == terminals.place_of["70012"]  # San Francisco, north- and southbound
    assert terminals.place_of["70261"] == terminals.place_of["70262"]  # San Jose
    assert terminals.place_of["70011"] != terminals.place_of["70261"]
    assert len(terminals.places) == 2
    apart = match_terminals(["70011", "70012"], stops, radius_m=0)
    assert apart.place_of["70011"] != apart.place_of["70012"]  # raw stop ids would not match


def test_a_line_is_its_name_not_its_route_id():
    routes = pd.DataFrame({"route_id": ["10N", "10S", "11"], "route_short_name": ["10", "10", ""], "route_long_name": ["", "", "Loop"]})
    assert line_names(routes) == {"10N": "10", "10S": "10", "11": "Loop"}


def test_trips_of_no_duration_never_chain_into_a_loop(two_terminals, shuttle):
    _, travel = two_terminals
    trips = shuttle([("07:00", "07:00", 0, 0), ("07:00", "07:00", 0, 0), ("07:00", "07:30", 0, 1)])
    result = block_trips(trips, travel, BlockingRules())
    assert sorted(t for b in result.blocks for t in b.trips) == ["1-0", "1-1", "1-2"]
    assert result.figures.blocks == 1


def random_day(seed: int, trips: int = 40) -> tuple[list[BlockTrip], StraightLine, list[Depot]]:
    """Trips of three lines between five terminals a few km apart, on whole seconds (some of
    no duration), and two garages."""
    rng = np.random.default_rng(seed)
    places = [Place(f"t{k}", f"t{k}", -93.6 + rng.uniform(-0.05, 0.05), 41.6 + rng.uniform(-0.03, 0.03)) for k in range(5)]
    places += [Place("G1", "G1", -93.62, 41.6), Place("G2", "G2", -93.58, 41.61)]
    out = []
    for k in range(trips):
        start = float(rng.integers(6 * 3600, 20 * 3600))
        run = 0.0 if k % 13 == 0 else float(rng.integers(10, 50) * 60)
        a, b = rng.choice(5, 2, replace=k % 13 == 0)
        out.append(BlockTrip(f"x{k}", f"L{k % 3}", start, start + run, int(a), int(b)))
    return out, StraightLine(places, speed_kmh=25.0), [Depot("G1", 5), Depot("G2", 6)]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    "rules",
    [
        BlockingRules(layover_min_s=300, max_deadhead_s=900, deadhead_penalty=1.0),
        BlockingRules(layover_min_s=0, deadhead_penalty=0.0, no_interlining=frozenset({"L1"})),
        BlockingRules(layover_min_s=600, deadheads=False, interlining=False, deadhead_penalty=1.0),
        BlockingRules(layover_min_s=300, pullout_cost_s=1800, deadhead_penalty=1.0),
    ],
    ids=["deadheads", "no-interlining-line", "no-interlining", "priced-pull-outs"],
)
@pytest.mark.parametrize("with_depots", [True, False], ids=["depots", "no-depot"])
def test_waiting_lines_give_the_optimum_of_all_connections(seed, rules, with_depots):
    # the time-space network against connection arcs to every later departure: the same
    # vehicles, blocks and platform plus penalised deadhead time (integer data: exact)
    trips, travel, depots = random_day(seed)
    garages = depots if with_depots else []
    lines = block_trips(trips, travel, rules, depots=garages, waiting_lines=True, nearest_depots=None)
    full = block_trips(
        trips, travel, rules, depots=garages, waiting_lines=False, connections=len(trips), deadhead_connections=len(trips), nearest_depots=None
    )
    for result in (lines, full):
        assert sorted(t for b in result.blocks for t in b.trips) == sorted(t.trip_id for t in trips)
    assert lines.vehicles == full.vehicles
    assert lines.figures.blocks == full.figures.blocks

    def cost(result):
        return sum(b.platform_s + rules.deadhead_penalty * b.deadhead_s for b in result.blocks)

    assert cost(lines) == pytest.approx(cost(full), abs=1e-6)


def test_a_block_pulls_in_where_the_flow_sends_it():
    # two simultaneous trips A->B and B->A, a garage next to each terminal: each block pulls
    # out of the garage at its first terminal and in at the one at its last terminal
    places = [Place("A", "A", -93.60, 41.60), Place("B", "B", -93.50, 41.60), Place("GA", "GA", -93.601, 41.60), Place("GB", "GB", -93.499, 41.60)]
    travel = StraightLine(places, speed_kmh=30.0)
    trips = [BlockTrip("ab", "1", 7 * 3600.0, 7.5 * 3600, 0, 1), BlockTrip("ba", "1", 7 * 3600.0, 7.5 * 3600, 1, 0)]
    result = block_trips(trips, travel, BlockingRules(deadheads=False), depots=[Depot("GA", 2), Depot("GB", 3)])
    assert result.figures.blocks == 2
    # about 100 m to and from each garage: 12 s each way at 30 km/h
    assert all(b.deadhead_s < 60 for b in result.blocks)
    assert result.figures.platform_hours == pytest.approx(1.0, abs=60 / 3600)


def test_pull_outs_from_the_nearest_depots_only():
    trips, travel, depots = random_day(3)
    rules = BlockingRules(layover_min_s=300)
    near = block_trips(trips, travel, rules, depots=depots, nearest_depots=1)
    every = block_trips(trips, travel, rules, depots=depots, nearest_depots=None)
    assert sorted(t for b in near.blocks for t in b.trips) == sorted(t.trip_id for t in trips)
    assert near.vehicles >= every.vehicles
    # a capacity may need the farther depot: all depots are offered then
    capped = [Depot("G1", 5, capacity=1), Depot("G2", 6)]
    assert block_trips(trips, travel, rules, depots=capped, nearest_depots=1).figures.trips == len(trips)
    with pytest.raises(InputError, match="nearest_depots"):
        block_trips(trips, travel, rules, depots=depots, nearest_depots=0)


def test_a_remote_terminal_that_keeps_vehicles_still_gets_them_out():
    # X is far beyond any deadhead and its two garages serve no other terminal (A has two of
    # its own nearer); two trips arrive at X and one leaves, so with pull-ins to the two
    # nearest garages only, a vehicle would be stranded at X's garages: the blocking offers
    # every garage instead of failing, and one vehicle does the day, driving home from X
    places = [
        Place("A", "A", -93.60, 41.60),
        Place("X", "X", -93.00, 41.60),
        Place("GA1", "GA1", -93.601, 41.60),
        Place("GA2", "GA2", -93.599, 41.60),
        Place("GX1", "GX1", -93.001, 41.60),
        Place("GX2", "GX2", -92.999, 41.60),
    ]
    travel = StraightLine(places, speed_kmh=30.0)
    trips = [
        BlockTrip("ax1", "1", 6 * 3600.0, 7.5 * 3600, 0, 1),
        BlockTrip("xa", "1", 8 * 3600.0, 9.5 * 3600, 1, 0),
        BlockTrip("ax2", "1", 16 * 3600.0, 17.5 * 3600, 0, 1),
    ]
    depots = [Depot("GA1", 2), Depot("GA2", 3), Depot("GX1", 4), Depot("GX2", 5)]
    result = block_trips(trips, travel, BlockingRules(max_deadhead_s=600), depots=depots, nearest_depots=2)
    assert [b.trips for b in result.blocks] == [("ax1", "xa", "ax2")]
    # 50 km home from X at 30 km/h, straight line times 1.3
    assert result.blocks[0].deadhead_s > 1.5 * 3600


def city_day(lines: int = 16, seed: int = 2) -> tuple[list[BlockTrip], StraightLine, list[Depot]]:
    """Lines between terminals spread over a 20 km square, every 15-30 min from 6:00 to
    21:00 both ways, and four garages."""
    rng = np.random.default_rng(seed)
    places = [Place(f"t{k}", f"t{k}", -93.6 + rng.uniform(-0.12, 0.12), 41.6 + rng.uniform(-0.09, 0.09)) for k in range(12)]
    places += [Place(f"G{k}", f"G{k}", -93.6 + rng.uniform(-0.1, 0.1), 41.6 + rng.uniform(-0.08, 0.08)) for k in range(4)]
    travel = StraightLine(places, speed_kmh=25.0)
    out = []
    for line in range(lines):
        a, b = (int(x) for x in rng.choice(12, 2, replace=False))
        run = float(travel.stack()[0, a, b]) * 1.6 + 300
        headway = float(rng.choice([900, 1200, 1800]))
        for direction, (x, y) in enumerate(((a, b), (b, a))):
            t = 6 * 3600 + float(rng.integers(0, int(headway)))
            while t < 21 * 3600:
                out.append(BlockTrip(f"L{line}_{direction}_{int(t)}", f"L{line}", t, t + run, x, y))
                t += headway
    return out, travel, [Depot(f"G{k}", 12 + k) for k in range(4)]


def test_a_big_day_is_blocked_by_regions_joined_at_the_seams():
    trips, travel, depots = city_day()
    rules = BlockingRules(layover_min_s=300, max_deadhead_s=1200)
    regions = _regions(trips, travel, 250)
    assert sorted(k for r in regions for k in r) == list(range(len(trips)))
    assert len(regions) > 2 and all(len(r) <= 250 for r in regions)
    region_of_line = {}
    for r, members in enumerate(regions):
        for k in members:
            assert region_of_line.setdefault(trips[k].line, r) == r  # a line stays whole

    by_region = block_trips(trips, travel, rules, depots=depots, region_trips=250)
    whole = block_trips(trips, travel, rules, depots=depots, region_trips=None)
    assert sorted(t for b in by_region.blocks for t in b.trips) == sorted(t.trip_id for t in trips)
    seconds = travel.stack()[0]
    index = {t.trip_id: t for t in trips}
    for block in by_region.blocks:
        for a, b in zip(block.trips, block.trips[1:], strict=False):
            ta, tb = index[a], index[b]
            move = seconds[ta.end_place, tb.start_place]
            assert move <= rules.max_deadhead_s
            assert tb.start_s >= ta.end_s + rules.layover_min_s + move - 1
    # one flow is optimal; regions give up a little at the seams
    assert whole.figures.fleet <= by_region.figures.fleet <= 1.1 * whole.figures.fleet


def test_the_seams_join_a_block_of_one_region_to_the_next():
    # line A runs P-X in the morning, line B X-Q in the afternoon: each its own region, one
    # block each there (a line stays whole, however small the regions); the join sends A's
    # vehicle on to B
    places = [Place("P", "P", -93.70, 41.6), Place("X", "X", -93.60, 41.6), Place("Q", "Q", -93.50, 41.6), Place("G", "G", -93.6, 41.61)]
    travel = StraightLine(places, speed_kmh=25.0)
    hour = 3600.0
    trips = [
        BlockTrip("a1", "A", 6 * hour, 6.5 * hour, 0, 1),
        BlockTrip("a2", "A", 7 * hour, 7.5 * hour, 1, 0),
        BlockTrip("a3", "A", 8 * hour, 8.5 * hour, 0, 1),
        BlockTrip("b1", "B", 9 * hour, 9.5 * hour, 1, 2),
        BlockTrip("b2", "B", 10 * hour, 10.5 * hour, 2, 1),
        BlockTrip("b3", "B", 11 * hour, 11.5 * hour, 1, 2),
    ]
    assert sorted(map(sorted, _regions(trips, travel, 3))) == [[0, 1, 2], [3, 4, 5]]
    result = block_trips(trips, travel, BlockingRules(layover_min_s=300), depots=[Depot("G", 3)], region_trips=2)
    assert [b.trips for b in result.blocks] == [("a1", "a2", "a3", "b1", "b2", "b3")]
