"""Vehicle blocking on small cases whose answers are known by hand, and terminal matching."""

from __future__ import annotations

import pandas as pd
import pytest

from gtfs.blocking import block_trips
from gtfs.blocks import BlockingRules, Depot, lower_bound, rules_of
from gtfs.read import read_feed
from gtfs.terminals import line_names, match_terminals
from its.errors import InfeasibleError

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
